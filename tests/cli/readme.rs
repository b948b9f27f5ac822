//! README.md's console examples are the product's real output. Each example is run by the test
//! that owns the behaviour (`read_path`, `check`, `assign`, `multi_context`, and here), which
//! snapshots the output as `snapshots/readme__NAME.snap` and compares README's text with it
//! (`support::readme::assert_example`). This module checks that no example is left out.

use std::collections::BTreeMap;

use crate::support::{Env, readme};

/// Does README show this command's output as kubectl-owner's? `kubectl owner …`, and the
/// one-command demo that runs it (`cargo run -q -- ARGS` is the binary).
fn is_ours(command: &str) -> bool {
    command.starts_with("kubectl owner ") || command.contains("--exec 'cargo run -q -- ")
}

/// The committed `readme__*.snap` files: the command of each (its description) → its content.
fn readme_snapshots() -> BTreeMap<String, (String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cli/snapshots");
    let mut snapshots = BTreeMap::new();
    for entry in std::fs::read_dir(dir).expect("tests/cli/snapshots") {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        if !(file.starts_with("readme__") && file.ends_with(".snap")) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // insta's header: `---`, `key: value` lines, `---`; then the content.
        let rest = text.strip_prefix("---\n").expect("an insta header");
        let (header, content) = rest.split_once("\n---\n").expect("an insta header");
        let description = header
            .lines()
            .find_map(|l| l.strip_prefix("description: "))
            .unwrap_or_else(|| panic!("{file}: no description"));
        // A YAML string: quoted when it has to be.
        let command: String = if description.starts_with('"') {
            serde_json::from_str(description).unwrap()
        } else {
            description.to_string()
        };
        let command = command
            .strip_prefix("$ ")
            .unwrap_or_else(|| panic!("{file}: description {command:?}"))
            .to_string();
        let previous = snapshots.insert(command.clone(), (file.clone(), content.to_string()));
        assert!(
            previous.is_none(),
            "two snapshots of `$ {command}`: {file}, {previous:?}"
        );
    }
    snapshots
}

#[test]
fn every_readme_example_of_kubectl_owner_output_is_a_snapshot() {
    let snapshots = readme_snapshots();
    let examples: Vec<readme::Example> = readme::examples()
        .into_iter()
        .filter(|e| is_ours(&e.command) && !e.output.is_empty())
        .collect();
    assert!(examples.len() >= 15, "{examples:?}");
    for example in &examples {
        let (file, content) = snapshots.get(&example.command).unwrap_or_else(|| {
            panic!(
                "README.md:{}: `$ {}` shows output that no test checks (see support::readme)",
                example.line, example.command
            )
        });
        assert_eq!(
            readme::redact(&example.output).trim_end(),
            content.trim_end(),
            "README.md:{} and {file}",
            example.line
        );
    }
    // And every README snapshot is still an example of README.
    for (command, (file, _)) in &snapshots {
        assert!(
            examples.iter().any(|e| &e.command == command),
            "{file}: `$ {command}` is no longer an example in README.md"
        );
    }
}

/// README's example of a broken config file (its line 4 has the typo).
#[test]
fn readme_example_of_a_config_typo() {
    let env = Env::without_cluster();
    std::fs::write(
        env.home().join("bad.yaml"),
        "keys:\n  team: team\n  sunset: kubectl-owner/sunset\n  stagez: lifecycle\n",
    )
    .unwrap();
    let run = env.owner(&["ls", "--config", "bad.yaml"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stdout, "");
    readme::assert_example(
        "ls_config_typo",
        "kubectl owner ls --config bad.yaml",
        &run.stderr,
        run.code,
    );
}

#[test]
fn readme_examples_are_read_from_console_blocks() {
    let text = "\
Intro `$ not this`.

```console
$ kubectl owner ls
KIND   NAME

$ kubectl owner assign x
error: no
$ echo $?
1
$ kubectl owner who y
```

```yaml
$ kubectl owner teams
```

```console
$ first
PS> second
not an output
```
";
    let examples = readme::parse(text);
    let got: Vec<(&str, &str, Option<i32>, usize)> = examples
        .iter()
        .map(|e| (e.command.as_str(), e.output.as_str(), e.exit_code, e.line))
        .collect();
    assert_eq!(
        got,
        [
            ("kubectl owner ls", "KIND   NAME\n", None, 4),
            ("kubectl owner assign x", "error: no\n", Some(1), 7),
            ("kubectl owner who y", "", None, 11),
            ("first", "", None, 19),
        ]
    );
}

#[test]
fn redaction_hides_only_loopback_ports() {
    assert_eq!(
        readme::redact("server 127.0.0.1:39227 was refused; 127.0.0.1: and 10.0.0.1:80"),
        "server 127.0.0.1:[PORT] was refused; 127.0.0.1: and 10.0.0.1:80"
    );
}
