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

/// What a lookup asks for. Its cache keys start with [`LookupKind::key_prefix`], so
/// the cached answers of one kind can be found (and forgotten) together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupKind {
    /// A sender photo.
    Photo,
    /// A contact card.
    Card,
}

impl LookupKind {
    /// The start of every cache key of this kind.
    pub fn key_prefix(self) -> &'static str {
        match self {
            Self::Photo => "photo\u{0}",
            Self::Card => "card\u{0}",
        }
    }
}

/// A lookup the directory may make: its cache key and the only URL it requests.
/// Both are built from the same normalized address, so two spellings of one
/// address share one entry and one request, and no other spelling can reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupTarget {
    /// The cache key: `photo\0{size}\0{address}` or `card\0{address}`.
    pub key: String,
    /// The URL on the organization's server.
    pub url: String,
}

impl DirectoryConfig {
    /// Whether `email` belongs to one of the organization's domains (exact match,
    /// ASCII case-insensitive; subdomains must be listed themselves).
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
        !local.is_empty() && self.has_domain(domain)
    }

    /// The photo lookup for `email` at `size` (one of [`PHOTO_SIZES`], checked by
    /// the caller). `Ok(None)`: outside the organization, nothing may be asked.
    /// `Err`: an organization address that is malformed or not ASCII.
    ///
    /// ```
    /// use offline_mailbox::directory::{DirectoryConfig, PhotoApi};
    /// let config = DirectoryConfig { origin: "https://mail.contoso.com".into(), domains: vec!["contoso.com".into()],
    ///     photo_api: PhotoApi::Ews, card_path: "/users/{email}".into() };
    /// let target = config.photo_target(" Kim@Contoso.com ", "HR48x48").unwrap().unwrap();
    /// assert_eq!(target.key, "photo\0HR48x48\0kim@contoso.com");
    /// assert_eq!(target.url, "https://mail.contoso.com/ews/Exchange.asmx/s/GetUserPhoto?email=kim%40contoso.com&size=HR48x48");
    /// assert!(config.photo_target("\u{212A}im@contoso.com", "HR48x48").is_err());
    /// assert_eq!(config.photo_target("kim@fabrikam.com", "HR48x48"), Ok(None));
    /// ```
    pub fn photo_target(
        &self,
        email: &str,
        size: &str,
    ) -> Result<Option<LookupTarget>, &'static str> {
        let Some(address) = self.lookup_address(email)? else {
            return Ok(None);
        };
        Ok(Some(LookupTarget {
            key: format!("{}{size}\u{0}{address}", LookupKind::Photo.key_prefix()),
            url: self.photo_url(&address, size),
        }))
    }

    /// The contact card lookup for `email`; `Ok(None)` and `Err` as for
    /// [`DirectoryConfig::photo_target`].
    pub fn card_target(&self, email: &str) -> Result<Option<LookupTarget>, &'static str> {
        let Some(address) = self.lookup_address(email)? else {
            return Ok(None);
        };
        Ok(Some(LookupTarget {
            key: format!("{}{address}", LookupKind::Card.key_prefix()),
            url: self.card_url(&address),
        }))
    }

    /// The one normalized form of an organization address, used for both the cache
    /// key and the URL. The domain is matched first, so an address outside the
    /// organization is simply not looked up, whatever characters it holds. Inside
    /// it, only printable ASCII is accepted and only ASCII is lowercased: Unicode
    /// case folding maps characters like KELVIN SIGN onto ASCII letters, so an
    /// address the server sees as someone else could otherwise share (and poison)
    /// that person's cache entry.
    fn lookup_address(&self, email: &str) -> Result<Option<String>, &'static str> {
        let Some((local, domain)) = email.trim().rsplit_once('@') else {
            return Ok(None);
        };
        if !self.has_domain(domain) {
            return Ok(None);
        }
        if local.is_empty() {
            return Err("must have a name before the @");
        }
        if !email.trim().bytes().all(|b| b.is_ascii_graphic()) {
            return Err("must be plain ASCII without spaces or control characters (give domains in punycode form)");
        }
        Ok(Some(format!(
            "{}@{}",
            local.to_ascii_lowercase(),
            domain.to_ascii_lowercase()
        )))
    }

    fn has_domain(&self, domain: &str) -> bool {
        !domain.is_empty() && self.domains.iter().any(|d| d.eq_ignore_ascii_case(domain))
    }

    /// The URL of a sender photo of a normalized `address`.
    fn photo_url(&self, address: &str, size: &str) -> String {
        let email = encode_component(address);
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

    /// The URL of the contact card of a normalized `address`.
    fn card_url(&self, address: &str) -> String {
        let email = encode_component(address);
        format!(
            "{}{}",
            self.origin,
            self.card_path.replace("{email}", &email)
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
        let url = |api, email| {
            config(api)
                .photo_target(email, "HR96x96")
                .unwrap()
                .unwrap()
                .url
        };
        assert_eq!(
            url(PhotoApi::Ews, "a+b@contoso.com"),
            "https://mail.contoso.com/ews/Exchange.asmx/s/GetUserPhoto?email=a%2Bb%40contoso.com&size=HR96x96"
        );
        assert_eq!(
            config(PhotoApi::Graph)
                .photo_target("a@contoso.com", "HR48x48")
                .unwrap()
                .unwrap()
                .url,
            "https://mail.contoso.com/users/a%40contoso.com/photos/48x48/$value"
        );
        assert_eq!(
            config(PhotoApi::Ews)
                .card_target("a@contoso.com")
                .unwrap()
                .unwrap()
                .url,
            "https://mail.contoso.com/users/a%40contoso.com"
        );
    }

    /// KELVIN SIGN lowercases (by Unicode rules) to an ASCII `k`: the attack the
    /// ASCII-only normalization exists for.
    #[test]
    fn kelvin_sign_in_an_organization_address_is_refused() {
        let config = config(PhotoApi::Ews);
        for email in [
            "\u{212A}im@contoso.com",
            "k\u{131}m@contoso.com",
            "kim\u{200B}@contoso.com",
        ] {
            assert!(config.photo_target(email, "HR96x96").is_err(), "{email:?}");
            assert!(config.card_target(email).is_err(), "{email:?}");
        }
        for email in [
            "k im@contoso.com",
            "kim\t@contoso.com",
            "ki\u{0}m@contoso.com",
            "@contoso.com",
        ] {
            assert!(config.photo_target(email, "HR96x96").is_err(), "{email:?}");
        }
    }

    #[test]
    fn spellings_of_one_address_share_key_and_url() {
        for api in [PhotoApi::Ews, PhotoApi::Graph] {
            let config = config(api);
            let upper = config.photo_target("KIM@Contoso.com", "HR96x96").unwrap();
            let lower = config
                .photo_target(" kim@contoso.com\n", "HR96x96")
                .unwrap();
            assert_eq!(upper, lower);
            assert_eq!(
                config.card_target("KIM@Contoso.com").unwrap(),
                config.card_target("kim@contoso.com").unwrap()
            );
        }
    }

    /// Whatever the spelling, the address in the key is exactly the address the URL
    /// asks for: no two requests can share an entry, no request can fill another's.
    #[test]
    fn key_and_url_carry_the_same_normalized_address() {
        let config = config(PhotoApi::Ews);
        for email in [
            "Kim@CONTOSO.com",
            "a+b.c@contoso.com",
            "\"q@x\"@contoso.com",
            "O'Neil@Contoso.COM",
        ] {
            let photo = config.photo_target(email, "HR64x64").unwrap().unwrap();
            let address = photo.key.strip_prefix("photo\0HR64x64\0").unwrap();
            assert_eq!(address, email.to_ascii_lowercase());
            assert_eq!(
                photo.url,
                format!("https://mail.contoso.com/ews/Exchange.asmx/s/GetUserPhoto?email={}&size=HR64x64", encode_component(address))
            );
            let card = config.card_target(email).unwrap().unwrap();
            assert_eq!(card.key, format!("card\0{address}"));
            assert_eq!(
                card.url,
                format!(
                    "https://mail.contoso.com/users/{}",
                    encode_component(address)
                )
            );
        }
    }

    #[test]
    fn outside_addresses_are_not_looked_up_even_when_not_ascii() {
        let config = config(PhotoApi::Ews);
        for email in [
            "\u{212A}im@fabrikam.com",
            "kim@b\u{fc}cher.example",
            "kim@contoso.com.evil.example",
            "kim@sub.contoso.com",
            "contoso.com",
            "kim@",
            "",
        ] {
            assert_eq!(config.photo_target(email, "HR96x96"), Ok(None), "{email:?}");
            assert_eq!(config.card_target(email), Ok(None), "{email:?}");
        }
        // A Unicode look-alike of the domain is not the domain.
        assert_eq!(config.card_target("kim@contos\u{043E}.com"), Ok(None));
    }
}
