//! README.md's console examples, checked against the real output: a test runs the command once,
//! snapshots what it printed (`tests/cli/snapshots/readme__*.snap`) and requires README's text
//! after the `$ COMMAND` line to be that same text.

use std::path::Path;

use super::Run;

/// One `$ COMMAND` line of a ```` ```console ```` block of README.md, with what follows it.
#[derive(Debug, Clone)]
pub struct Example {
    /// The command as README writes it, without the `$ ` prompt.
    pub command: String,
    /// The lines up to the next prompt or the closing fence, each ending in `\n`; the blank lines
    /// that separate one example from the next are not part of it.
    pub output: String,
    /// The status a following `$ echo $?` shows.
    pub exit_code: Option<i32>,
    /// README.md's line number of the command (1-based).
    pub line: usize,
}

pub fn readme_path() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
}

/// Every example of every console block of `text`, in order.
pub fn parse(text: &str) -> Vec<Example> {
    let mut examples: Vec<Example> = Vec::new();
    let mut in_console = false;
    // The example whose output is being read; `echo` is set while reading `$ echo $?`'s output.
    let mut current: Option<Example> = None;
    let mut echo = false;
    let finish = |current: &mut Option<Example>, examples: &mut Vec<Example>| {
        if let Some(mut example) = current.take() {
            while example.output.ends_with("\n\n") || example.output == "\n" {
                example.output.pop();
            }
            examples.push(example);
        }
    };
    for (index, line) in text.lines().enumerate() {
        if !in_console {
            in_console = line.trim_end() == "```console";
            continue;
        }
        if line.trim_end() == "```" {
            finish(&mut current, &mut examples);
            in_console = false;
            echo = false;
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ") {
            if command == "echo $?" {
                finish(&mut current, &mut examples);
                echo = true;
            } else {
                finish(&mut current, &mut examples);
                echo = false;
                current = Some(Example {
                    command: command.to_string(),
                    output: String::new(),
                    exit_code: None,
                    line: index + 1,
                });
            }
            continue;
        }
        if line.starts_with("PS> ") {
            finish(&mut current, &mut examples);
            echo = false;
            continue;
        }
        if echo {
            if !line.trim().is_empty() {
                let code = line.trim().parse().unwrap_or_else(|_| {
                    panic!("README.md:{}: `$ echo $?` shows {line:?}", index + 1)
                });
                let last = examples.last_mut().expect("`$ echo $?` follows an example");
                last.exit_code = Some(code);
                echo = false;
            }
            continue;
        }
        if let Some(example) = current.as_mut() {
            example.output.push_str(line);
            example.output.push('\n');
        }
    }
    examples
}

/// Every console example of README.md.
pub fn examples() -> Vec<Example> {
    let text = std::fs::read_to_string(readme_path()).expect("read README.md");
    parse(&text)
}

/// The one example of `$ command` in README.md that shows output.
pub fn example(command: &str) -> Example {
    let mut shown: Vec<Example> = examples()
        .into_iter()
        .filter(|e| e.command == command && !e.output.is_empty())
        .collect();
    assert_eq!(
        shown.len(),
        1,
        "README.md shows the output of `$ {command}` once: {shown:?}"
    );
    shown.remove(0)
}

/// What a terminal shows for `run`: its messages (stderr) come before its table, as README shows
/// them ("stderr shown inline").
pub fn shown(run: &Run) -> String {
    format!("{}{}", run.stderr, run.stdout)
}

/// What differs from run to run, the same in README and in the snapshots: the port of a server
/// on 127.0.0.1 (README shows a real one) becomes `[PORT]`.
pub fn redact(text: &str) -> String {
    let marker = "127.0.0.1:";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(marker) {
        let after = &rest[at + marker.len()..];
        let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        out.push_str(&rest[..at + marker.len()]);
        out.push_str(if digits > 0 { "[PORT]" } else { "" });
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// Snapshots `text`, what README's `$ command` prints, as `readme__NAME` (its description is
/// `$ command`), and requires README's example of `$ command` to be that same text, with the exit
/// status README shows (if it shows one) equal to `code`. Both sides are [`redact`]ed.
pub fn assert_example(name: &str, command: &str, text: &str, code: i32) {
    let text = redact(text);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_description(format!("$ {command}"));
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(format!("readme__{name}"), &text));
    let example = example(command);
    assert_eq!(
        redact(&example.output),
        text,
        "README.md:{}: the example of `$ {command}` is not what it prints",
        example.line
    );
    if let Some(readme_code) = example.exit_code {
        assert_eq!(
            readme_code, code,
            "README.md:{}: `$ echo $?` after `$ {command}`",
            example.line
        );
    }
}
