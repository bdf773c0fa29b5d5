//! The manual, `man/httpd.1` (mdoc(7)), against the binary it documents.
//!
//! - Its OPTIONS section lists exactly the options of `httpd --help`: each
//!   entry of the help's table (`-b, --bind ADDR`: the short and the long
//!   spelling and the argument's name) is an `.It` tag of the section's
//!   list (`.It Fl b , Fl \-bind Ar ADDR`), and each tag is an entry of the
//!   help. Both sides are parsed; the tags are rendered the way mdoc
//!   renders them, from the few macros a tag may use (`Fl`, `Ar`, `Cm`,
//!   `No`, `Ns`, `Op`, `Oo`, `Oc`), and any other is an error, not a skip.
//! - `mandoc -T lint -W warning` finds nothing to say (Debian's `mandoc`
//!   package; without it the tests fail, naming the package).
//! - `mandoc -T utf8` renders it, with every signal the server handles in
//!   its SIGNALS section and every option of `--help` in the text.

use std::collections::BTreeSet;
use std::io::ErrorKind;
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_httpd");

/// The page, relative to the repository.
const PAGE: &str = "man/httpd.1";

/// The signals the supervisor handles or ignores on purpose
/// (src/net/supervisor.rs), each of which the page must explain.
const SIGNALS: [&str; 8] = [
    "SIGINT", "SIGTERM", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGPIPE",
];

/// The sections the page must have, in this order.
const SECTIONS: [&str; 12] = [
    "NAME",
    "SYNOPSIS",
    "DESCRIPTION",
    "OPTIONS",
    "SIGNALS",
    "ENVIRONMENT",
    "FILES",
    "EXIT STATUS",
    "EXAMPLES",
    "SEE ALSO",
    "STANDARDS",
    "CAVEATS",
];

fn page_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(PAGE)
}

fn page_source() -> String {
    let path = page_path();
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// `httpd --help`, which must succeed.
fn help() -> String {
    let out = Command::new(BIN).arg("--help").output().expect("run httpd");
    assert!(out.status.success(), "httpd --help: {:?}", out.status);
    String::from_utf8(out.stdout).expect("--help is UTF-8")
}

/// Runs `mandoc` with `args`; fails the test, naming the Debian package,
/// where mandoc is not installed.
fn mandoc(args: &[&str]) -> Output {
    match Command::new("mandoc").args(args).output() {
        Ok(out) => out,
        Err(e) if e.kind() == ErrorKind::NotFound => panic!(
            "mandoc is not installed: the manual page is checked with it; \
             install the Debian package `mandoc` (apt-get install mandoc)"
        ),
        Err(e) => panic!("run mandoc: {e}"),
    }
}

/// Drops terminal overstrikes (`X\bX` bold, `_\bX` underline) from
/// mandoc's terminal output, leaving the text.
fn plain(rendered: &[u8]) -> String {
    let text = String::from_utf8_lossy(rendered);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\u{8}' {
            out.pop();
        } else {
            out.push(c);
        }
    }
    out
}

// ---------------------------------------------------------------------------
// The two option lists
// ---------------------------------------------------------------------------

/// The entries of the help's table, as written in its first column:
/// `PORT`, `-b, --bind ADDR`, `--sandbox on|off|log`. An entry is a line
/// indented by exactly two spaces; the column ends at the first run of
/// two spaces (continuation lines are indented further).
fn help_entries(help: &str) -> Vec<String> {
    help.lines()
        .filter(|line| line.starts_with("  ") && !line.starts_with("   "))
        .map(|line| {
            let entry = &line[2..];
            entry.split("  ").next().unwrap_or(entry).trim().to_string()
        })
        .collect()
}

/// The tags of the OPTIONS section's list (its own `.It` lines, not those
/// of a list nested in a description), rendered as the help writes them.
fn page_entries(page: &str) -> Result<Vec<String>, String> {
    let mut in_options = false;
    let mut seen_options = false;
    let mut depth = 0usize;
    let mut tags = Vec::new();
    for (number, line) in page.lines().enumerate() {
        let number = number + 1;
        if let Some(title) = line.strip_prefix(".Sh ") {
            in_options = title.trim() == "OPTIONS";
            seen_options |= in_options;
            continue;
        }
        if !in_options {
            continue;
        }
        if line.starts_with(".Bl ") {
            depth += 1;
        } else if line.trim_end() == ".El" {
            depth = depth
                .checked_sub(1)
                .ok_or(format!("line {number}: .El without .Bl"))?;
        } else if let Some(args) = line.strip_prefix(".It ")
            && depth == 1
        {
            let tag = render_tag(args).map_err(|e| format!("line {number}: {e}: {line}"))?;
            tags.push(tag);
        }
    }
    if !seen_options {
        return Err("no .Sh OPTIONS section".into());
    }
    Ok(tags)
}

/// The arguments of a macro line: words separated by blanks, or quoted
/// with `"` (`""` inside quotes is one `"`), as mdoc(7) splits them.
/// Each comes with whether it was quoted (a quoted word is never a macro).
fn words(args: &str) -> Result<Vec<(String, bool)>, String> {
    let mut out = Vec::new();
    let mut chars = args.chars().peekable();
    loop {
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        let Some(&first) = chars.peek() else { break };
        let mut word = String::new();
        if first == '"' {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err("unterminated quote".into()),
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        word.push('"');
                    }
                    Some('"') => break,
                    Some(c) => word.push(c),
                }
            }
            out.push((unescape(&word)?, true));
        } else {
            while let Some(&c) = chars.peek() {
                if c == ' ' {
                    break;
                }
                word.push(c);
                chars.next();
            }
            out.push((unescape(&word)?, false));
        }
    }
    Ok(out)
}

/// The roff escapes a tag may hold; any other is an error.
fn unescape(word: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = word;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (text, len) = if after.starts_with('-') {
            ("-", 1)
        } else if after.starts_with('&') {
            ("", 1)
        } else if after.starts_with('e') {
            ("\\", 1)
        } else if after.starts_with("(ba") {
            ("|", 3)
        } else {
            return Err(format!("unsupported escape in {word:?}"));
        };
        out.push_str(text);
        rest = &after[len..];
    }
    out.push_str(rest);
    Ok(out)
}

/// mdoc's closing delimiters: written without a space before them.
fn closing_delimiter(word: &str) -> bool {
    matches!(word, "." | "," | ":" | ";" | ")" | "]" | "?" | "!")
}

/// A word that looks like an mdoc macro name (`Fl`, `Ar`, `Pa`, `Xr`...):
/// a capital, then one or two lower-case letters. Argument names are
/// upper case or quoted, so they never look like one.
fn looks_like_macro(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && (2..=3).contains(&word.len())
        && chars.all(|c| c.is_ascii_lowercase())
}

/// Renders the arguments of an `.It` line as mdoc does in a tag, for the
/// macros a tag of OPTIONS may use: `Fl` (a dash before each word), `Ar`,
/// `Cm` and `No` (words as they are), `Ns` (no space), `Op` (brackets
/// around the rest of the line), `Oo`/`Oc` (brackets around what is
/// between).
fn render_tag(args: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut no_space = false;
    let mut flag = false;
    let mut closes = 0usize;
    let mut pending_dash = false;
    let push = |out: &mut String, text: &str, no_space: &mut bool, glue_left: bool| {
        if !out.is_empty() && !*no_space && !glue_left {
            out.push(' ');
        }
        out.push_str(text);
        *no_space = false;
    };
    for (word, quoted) in words(args)? {
        if !quoted && looks_like_macro(&word) {
            if pending_dash {
                // `Fl` with no word of its own is a lone dash.
                push(&mut out, "-", &mut no_space, false);
                pending_dash = false;
            }
            flag = false;
            match word.as_str() {
                "Fl" => {
                    flag = true;
                    pending_dash = true;
                }
                "Ar" | "Cm" | "No" => {}
                "Ns" => no_space = true,
                "Op" | "Oo" => {
                    push(&mut out, "[", &mut no_space, false);
                    no_space = true;
                    if word == "Op" {
                        closes += 1;
                    }
                }
                "Oc" => push(&mut out, "]", &mut no_space, true),
                other => return Err(format!("macro {other} is not expected in a tag")),
            }
            continue;
        }
        if !quoted && closing_delimiter(&word) {
            if pending_dash {
                push(&mut out, "-", &mut no_space, false);
                pending_dash = false;
            }
            push(&mut out, &word, &mut no_space, true);
            continue;
        }
        let text = if flag { format!("-{word}") } else { word };
        pending_dash = false;
        push(&mut out, &text, &mut no_space, false);
    }
    if pending_dash {
        push(&mut out, "-", &mut no_space, false);
    }
    for _ in 0..closes {
        out.push(']');
    }
    if out.is_empty() {
        return Err("empty tag".into());
    }
    Ok(out)
}

/// Compares the help's table with the page's OPTIONS tags; Err lists what
/// one side has and the other lacks. Ok: the number of entries.
fn compare(help: &str, page: &str) -> Result<usize, String> {
    let help = help_entries(help);
    let mut tags = page_entries(page)?;
    // The plain build (`--no-default-features`) has no HTTPS options; the
    // page documents them for the default build.
    if cfg!(not(feature = "tls")) {
        tags.retain(|tag| !tag.starts_with("--tls-"));
    }
    let mut problems = Vec::new();
    for (what, list) in [("--help", &help), ("the page", &tags)] {
        let mut seen = BTreeSet::new();
        for entry in list {
            if !seen.insert(entry) {
                problems.push(format!("{what} lists {entry:?} twice"));
            }
        }
    }
    let help_set: BTreeSet<&String> = help.iter().collect();
    let page_set: BTreeSet<&String> = tags.iter().collect();
    for entry in help_set.difference(&page_set) {
        problems.push(format!(
            "--help has {entry:?}, which the page's OPTIONS lacks (an `.It` tag)"
        ));
    }
    for entry in page_set.difference(&help_set) {
        problems.push(format!(
            "the page's OPTIONS has {entry:?}, which --help lacks"
        ));
    }
    if problems.is_empty() {
        Ok(help.len())
    } else {
        Err(problems.join("\n"))
    }
}

#[test]
fn options_are_those_of_help() {
    let help = help();
    let entries = help_entries(&help);
    // The parser of the help must find the table, not pass on nothing.
    for must in ["PORT", "-b, --bind ADDR", "-h, --help", "-V, --version"] {
        assert!(
            entries.iter().any(|e| e == must),
            "{must:?} not found in --help's table: {entries:?}"
        );
    }
    assert!(entries.len() >= 20, "{entries:?}");
    match compare(&help, &page_source()) {
        Ok(n) => assert_eq!(n, entries.len()),
        Err(problems) => panic!("{PAGE} and `httpd --help` disagree:\n{problems}"),
    }
}

/// The comparison itself fails when either side lacks an option or when
/// an argument's name differs, in the page or in the help.
#[test]
fn comparison_catches_a_missing_option() {
    let help = help();
    let page = page_source();
    assert!(compare(&help, &page).is_ok());

    // An option left out of the page.
    let line = ".It Fl \\-max-age Ar SECS\n";
    assert!(page.contains(line), "the page changed: update this test");
    let err = compare(&help, &page.replacen(line, "", 1)).unwrap_err();
    assert!(err.contains("\"--max-age SECS\""), "{err}");

    // A short spelling left out of the page.
    let short = ".It Fl q , Fl \\-quiet\n";
    assert!(page.contains(short));
    let err = compare(&help, &page.replacen(short, ".It Fl \\-quiet\n", 1)).unwrap_err();
    assert!(err.contains("\"-q, --quiet\""), "{err}");

    // An argument named differently.
    let bind = ".It Fl b , Fl \\-bind Ar ADDR\n";
    assert!(page.contains(bind));
    let renamed = page.replacen(bind, ".It Fl b , Fl \\-bind Ar ADDRESS\n", 1);
    let err = compare(&help, &renamed).unwrap_err();
    assert!(err.contains("--bind ADDRESS"), "{err}");

    // An option the help lacks, or one it has twice.
    let help_line = help
        .lines()
        .find(|l| l.starts_with("  --cors"))
        .expect("--cors in --help");
    let fewer = help.replacen(&format!("{help_line}\n"), "", 1);
    let err = compare(&fewer, &page).unwrap_err();
    assert!(err.contains("\"--cors\", which --help lacks"), "{err}");
    let twice = help.replacen(
        &format!("{help_line}\n"),
        &format!("{help_line}\n{help_line}\n"),
        1,
    );
    assert!(compare(&twice, &page).unwrap_err().contains("twice"));

    // A macro the tag renderer does not know is an error, not a skip.
    let odd = page.replacen(line, ".It Fl \\-max-age Va SECS\n", 1);
    assert!(compare(&help, &odd).unwrap_err().contains("macro Va"));
}

#[test]
fn tags_render_as_mdoc_does() {
    for (args, text) in [
        ("Ar PORT", "PORT"),
        ("Fl b , Fl \\-bind Ar ADDR", "-b, --bind ADDR"),
        ("Fl H , Fl \\-header Ar \"'N: V'\"", "-H, --header 'N: V'"),
        (
            "Fl \\-user Ar USER Ns Op : Ns Ar GROUP",
            "--user USER[:GROUP]",
        ),
        (
            "Fl \\-auth Ar USER : Ns Ar PASSWORD",
            "--auth USER:PASSWORD",
        ),
        (
            "Fl \\-sandbox Cm on Ns | Ns Cm off Ns | Ns Cm log",
            "--sandbox on|off|log",
        ),
        ("Fl \\-404 Ar FILE", "--404 FILE"),
        ("Fl \\-x Oo Ar A Oc Ar B", "--x [A] B"),
    ] {
        assert_eq!(render_tag(args).as_deref(), Ok(text), "{args}");
    }
}

// ---------------------------------------------------------------------------
// mandoc
// ---------------------------------------------------------------------------

#[test]
fn mandoc_lint_is_clean() {
    let path = page_path();
    let out = mandoc(&["-T", "lint", "-W", "warning", path.to_str().unwrap()]);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.is_empty(),
        "mandoc -T lint -W warning {PAGE}: {:?}\n{said}",
        out.status
    );
}

#[test]
fn renders_with_every_signal_and_option() {
    let path = page_path();
    let out = mandoc(&["-T", "utf8", path.to_str().unwrap()]);
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "mandoc -T utf8 {PAGE}: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let text = plain(&out.stdout);

    // The section headings, in order, at the left margin.
    let headings: Vec<&str> = text
        .lines()
        .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
        .filter(|l| l.chars().all(|c| c.is_ascii_uppercase() || c == ' '))
        .collect();
    assert_eq!(headings, SECTIONS, "sections of {PAGE}");

    // Every signal, in the SIGNALS section.
    let signals = text
        .split("\nSIGNALS\n")
        .nth(1)
        .and_then(|rest| rest.split("\nENVIRONMENT\n").next())
        .expect("a SIGNALS section");
    for signal in SIGNALS {
        assert!(
            signals.contains(signal),
            "{signal} is not in SIGNALS:\n{signals}"
        );
    }

    // Every long option of --help, as a reader sees it (a `\-` that
    // became a hyphen would not match).
    for entry in help_entries(&help()) {
        let long = entry
            .split([' ', ','])
            .find(|w| w.starts_with("--"))
            .map(str::to_string);
        if let Some(long) = long {
            assert!(text.contains(&long), "{long} is not in the rendered page");
        }
    }
}
