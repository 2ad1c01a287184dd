//! Where directory lookups may go and what they may ask: the organization's
//! server origin, its domains, and the request URLs. Pure Rust.

/// Photo sizes Exchange serves, smallest first.
pub const PHOTO_SIZES: [&str; 9] = [
    "HR48x48",
    "HR64x64",
    "HR96x96",
    "HR120x120",
    "HR240x240",
    "HR360x360",
    "HR432x432",
    "HR504x504",
    "HR648x648",
];
/// The photo size asked for when the caller names none.
pub const DEFAULT_PHOTO_SIZE: &str = "HR96x96";
/// The contact card path asked for when the host configures none (Graph's user resource).
pub const DEFAULT_CARD_PATH: &str = "/users/{email}";

/// Which photo API the organization's server speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PhotoApi {
    /// Exchange EWS REST: `GET /ews/Exchange.asmx/s/GetUserPhoto?email=…&size=HR96x96`.
    #[default]
    Ews,
    /// Graph: `GET /users/{email}/photos/{96x96}/$value`.
    Graph,
}

/// The validated directory settings from `open`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryConfig {
    /// The organization's server, a bare origin like `https://mail.contoso.com`.
    pub origin: String,
    /// Lower-cased domains whose addresses may be looked up.
    pub domains: Vec<String>,
    /// The photo API.
    pub photo_api: PhotoApi,
    /// Contact card path template with `{email}`.
    pub card_path: String,
}

impl DirectoryConfig {
    /// Whether `email` belongs to one of the organization's domains (exact match,
    /// case-insensitive; subdomains must be listed themselves).
    ///
    /// ```
    /// use offline_mailbox::directory::{DirectoryConfig, PhotoApi};
    /// let config = DirectoryConfig { origin: "https://mail.contoso.com".into(), domains: vec!["contoso.com".into()],
    ///     photo_api: PhotoApi::Ews, card_path: "/users/{email}".into() };
    /// assert!(config.in_organization("Adele@Contoso.com"));
    /// assert!(!config.in_organization("adele@contoso.com.evil.example"));
    /// ```
    pub fn in_organization(&self, email: &str) -> bool {
        let Some((local, domain)) = email.trim().rsplit_once('@') else {
            return false;
        };
        !local.is_empty() && self.domains.iter().any(|d| d.eq_ignore_ascii_case(domain))
    }

    /// The URL of a sender photo.
    pub fn photo_url(&self, email: &str, size: &str) -> String {
        let email = encode_component(email.trim());
        match self.photo_api {
            PhotoApi::Ews => format!(
                "{}/ews/Exchange.asmx/s/GetUserPhoto?email={email}&size={size}",
                self.origin
            ),
            PhotoApi::Graph => {
                format!(
                    "{}/users/{email}/photos/{}/$value",
                    self.origin,
                    size.trim_start_matches("HR")
                )
            }
        }
    }

    /// The URL of a contact card.
    pub fn card_url(&self, email: &str) -> String {
        format!(
            "{}{}",
            self.origin,
            self.card_path
                .replace("{email}", &encode_component(email.trim()))
        )
    }
}

/// Validates `orgServer`: a bare origin (scheme, host, optional port; nothing else),
/// over HTTPS, or plain HTTP only for loopback. Returns it normalized.
///
/// ```
/// use offline_mailbox::directory::org_origin;
/// assert_eq!(org_origin("https://Mail.Contoso.com/").unwrap(), "https://mail.contoso.com");
/// assert!(org_origin("https://mail.contoso.com/owa").is_err());
/// assert!(org_origin("http://mail.contoso.com").is_err());
/// assert!(org_origin("http://127.0.0.1:8081").is_ok());
/// ```
pub fn org_origin(value: &str) -> Result<String, &'static str> {
    let (scheme, rest) = value
        .split_once("://")
        .ok_or("must be an origin like https://mail.contoso.com")?;
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.strip_suffix('/').unwrap_or(rest).to_ascii_lowercase();
    if authority.is_empty() || authority.contains(['/', '?', '#', '@', '\\', ' ']) {
        return Err("must be a bare origin: no path, query, fragment or credentials");
    }
    let host = host_of(&authority)?;
    match scheme.as_str() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => {
            return Err("must use https (plain http is allowed only for 127.0.0.1 and localhost)")
        }
        _ => return Err("must be an https origin"),
    }
    Ok(format!("{scheme}://{authority}"))
}

fn host_of(authority: &str) -> Result<&str, &'static str> {
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6.split_once(']').ok_or("has a malformed IPv6 host")?;
            (host, after.strip_prefix(':'))
        }
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    if let Some(port) = port {
        let valid = !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit());
        if !valid || port.parse::<u32>().map_or(true, |p| p == 0 || p > 65535) {
            return Err("has an invalid port");
        }
    }
    let valid_host = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:".contains(&b));
    if !valid_host {
        return Err("has an invalid host");
    }
    Ok(host)
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(api: PhotoApi) -> DirectoryConfig {
        DirectoryConfig {
            origin: "https://mail.contoso.com".into(),
            domains: vec!["contoso.com".into()],
            photo_api: api,
            card_path: DEFAULT_CARD_PATH.into(),
        }
    }

    #[test]
    fn origins_must_be_bare_and_secure() {
        for bad in [
            "mail.contoso.com",
            "https://mail.contoso.com/ews",
            "https://mail.contoso.com?x=1",
            "https://mail.contoso.com#x",
            "https://user:pw@mail.contoso.com",
            "http://mail.contoso.com",
            "http://127.0.0.1.evil.example",
            "http://localhost.evil.example",
            "ftp://mail.contoso.com",
            "https://",
            "https://mail.contoso.com:0",
            "https://mail.contoso.com:99999",
            "https://mail.contoso.com:8x",
        ] {
            assert!(org_origin(bad).is_err(), "{bad}");
        }
        assert_eq!(
            org_origin("https://mail.contoso.com:8443").unwrap(),
            "https://mail.contoso.com:8443"
        );
        assert_eq!(
            org_origin("http://localhost:9000/").unwrap(),
            "http://localhost:9000"
        );
        assert_eq!(
            org_origin("http://[::1]:9000").unwrap(),
            "http://[::1]:9000"
        );
        assert_eq!(
            org_origin("http://127.8.9.10").unwrap(),
            "http://127.8.9.10"
        );
    }

    #[test]
    fn only_organization_addresses_are_looked_up() {
        let config = config(PhotoApi::Ews);
        assert!(config.in_organization("megan@CONTOSO.COM"));
        assert!(!config.in_organization("megan@fabrikam.com"));
        assert!(!config.in_organization("megan@sub.contoso.com"));
        assert!(!config.in_organization("contoso.com"));
        assert!(!config.in_organization("@contoso.com"));
    }

    #[test]
    fn urls_carry_only_the_encoded_address_and_size() {
        assert_eq!(
            config(PhotoApi::Ews).photo_url("a+b@contoso.com", "HR96x96"),
            "https://mail.contoso.com/ews/Exchange.asmx/s/GetUserPhoto?email=a%2Bb%40contoso.com&size=HR96x96"
        );
        assert_eq!(
            config(PhotoApi::Graph).photo_url("a@contoso.com", "HR48x48"),
            "https://mail.contoso.com/users/a%40contoso.com/photos/48x48/$value"
        );
        assert_eq!(
            config(PhotoApi::Ews).card_url("a@contoso.com"),
            "https://mail.contoso.com/users/a%40contoso.com"
        );
    }
}
