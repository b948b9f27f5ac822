//! kubectl's output options on every command that prints a table or a document:
//! `-o custom-columns[-file]`, `-o jsonpath[-file]` (over the `-o json` document), `-o csv`,
//! and their one-line errors.

use serde_json::Value;

use crate::support::{Env, demo_server, readme};

fn json(env: &Env, args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.extend(["-o", "json"]);
    let run = env.owner(&args);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stderr))
}

fn csv_records(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let records = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, records)
}

/// Each line with its cells separated by one space (column widths set aside).
fn squeezed(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "<none>".to_string(),
        other => other.to_string(),
    }
}

#[test]
fn ls_custom_columns_and_jsonpath_read_the_json_document() {
    let server = demo_server();
    let env = Env::new(&server);
    let doc = json(&env, &["ls", "-A"]);
    let items = doc["items"].as_array().unwrap();
    assert!(items.len() > 5);

    let run = env.owner(&[
        "ls",
        "-A",
        "-o",
        "custom-columns=NAME:.name,Team:{.team.value},FROM:team.source.kind",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    // Headers as written, as kubectl prints them; one row per item, in the same order.
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["NAME", "Team", "FROM"]
    );
    assert_eq!(lines.len(), items.len() + 1);
    for (line, item) in lines[1..].iter().zip(items) {
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            cells,
            [
                text(&item["name"]),
                text(&item["team"]["value"]),
                text(&item["team"]["source"]["kind"])
            ],
            "{line}"
        );
    }
    let no_headers = env.owner(&["ls", "-A", "--no-headers", "-o", "custom-columns=N:.name"]);
    assert_eq!(no_headers.stdout.lines().count(), items.len());

    let names: Vec<String> = items.iter().map(|i| text(&i["name"])).collect();
    let run = env.owner(&["ls", "-A", "-o", "jsonpath={.items[*].name}"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, names.join(" "));
    let run = env.owner(&[
        "ls",
        "-A",
        "-o",
        r#"jsonpath={range .items[?(@.kind=="Deployment")]}{.namespace}/{.name}{"\n"}{end}"#,
    ]);
    let deployments: Vec<String> = items
        .iter()
        .filter(|i| i["kind"] == "Deployment")
        .map(|i| format!("{}/{}\n", text(&i["namespace"]), text(&i["name"])))
        .collect();
    assert_eq!(run.stdout, deployments.concat());

    // The same from files.
    let dir = tempfile::tempdir().unwrap();
    let columns = dir.path().join("columns.txt");
    std::fs::write(&columns, "NAME   TEAM\n.name  .team.value\n").unwrap();
    let template = dir.path().join("template.txt");
    std::fs::write(&template, "{.items[0].name}").unwrap();
    let from_file = env.owner(&[
        "ls",
        "-A",
        "-o",
        &format!("custom-columns-file={}", columns.display()),
    ]);
    let inline = env.owner(&[
        "ls",
        "-A",
        "-o",
        "custom-columns=NAME:.name,TEAM:.team.value",
    ]);
    assert_eq!(from_file.stdout, inline.stdout);
    let from_file = env.owner(&[
        "ls",
        "-A",
        "-o",
        &format!("jsonpath-file={}", template.display()),
    ]);
    assert_eq!(from_file.stdout, names[0]);
}

#[test]
fn templates_escape_the_clusters_control_characters() {
    let server = demo_server();
    let mut ledger = server
        .object("deployments", Some("payments"), "ledger")
        .unwrap();
    ledger["metadata"]["annotations"]["a8r.io/chat"] = serde_json::json!("#pay\u{1b}[2J\u{200b}");
    server.insert(ledger);
    let env = Env::new(&server);
    let run = env.owner(&[
        "ls",
        "-n",
        "payments",
        "-o",
        r#"jsonpath={range .items[*]}{.contacts.chat.value}{"\n"}{end}"#,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("#pay\\u{1b}[2J\\u{200b}\n"),
        "{:?}",
        run.stdout
    );
    assert!(!run.stdout.contains('\u{1b}'));
    let run = env.owner(&[
        "ls",
        "-n",
        "payments",
        "-o",
        "custom-columns=CHAT:.contacts.chat.value",
    ]);
    assert!(
        run.stdout.contains("#pay\\u{1b}[2J\\u{200b}\n"),
        "{:?}",
        run.stdout
    );
    assert!(!run.stdout.contains('\u{1b}'));
}

#[test]
fn ls_custom_columns_example() {
    let server = demo_server();
    let run = Env::new(&server).owner(&[
        "ls",
        "-n",
        "payments",
        "-o",
        "custom-columns=NAME:.name,TEAM:.team.value,FROM:.team.source.kind,CHAT:.contacts.chat.value",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    readme::assert_example(
        "ls_custom_columns",
        "kubectl owner ls -n payments -o custom-columns=NAME:.name,TEAM:.team.value,FROM:.team.source.kind,CHAT:.contacts.chat.value",
        &run.stdout,
        run.code,
    );
}

#[test]
fn teams_check_who_and_assign_print_their_documents_through_templates() {
    let server = demo_server();
    let env = Env::new(&server);

    let teams = json(&env, &["teams", "-A"]);
    let run = env.owner(&[
        "teams",
        "-A",
        "-o",
        "custom-columns=TEAM:.team,WORKLOADS:.workloads",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let expected: Vec<String> = std::iter::once("TEAM WORKLOADS".to_string())
        .chain(
            teams["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| format!("{} {}", text(&t["team"]), t["workloads"])),
        )
        .collect();
    let got = squeezed(&run.stdout);
    assert_eq!(got, expected);
    let run = env.owner(&["teams", "-A", "-o", "jsonpath={.coverage}"]);
    assert_eq!(run.stdout, teams["coverage"].to_string());

    // check: one custom-columns row per finding; its exit status is the report's.
    let check = json(&env, &["check", "-A"]);
    let findings = check["findings"].as_array().unwrap();
    let run = env.owner(&[
        "check",
        "-A",
        "--no-headers",
        "-o",
        "custom-columns=RULE:.rule,NAME:.name",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let expected: Vec<String> = findings
        .iter()
        .map(|f| format!("{} {}", text(&f["rule"]), text(&f["name"])))
        .collect();
    let got = squeezed(&run.stdout);
    assert_eq!(got, expected);
    let run = env.owner(&["check", "-A", "-o", "jsonpath={.summary.errors}"]);
    assert_eq!(run.stdout, check["summary"]["errors"].to_string());

    // who: the ownership item is the one row.
    let run = env.owner(&[
        "who",
        "api-7d9f8c6b5-x2kq9",
        "-n",
        "payments",
        "-o",
        "custom-columns=TEAM:.team.value,CHAIN:.chain[*].kind",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "TEAM       CHAIN\npayments   Pod,ReplicaSet,Deployment\n"
    );
    let run = env.owner(&[
        "who",
        "api-7d9f8c6b5-x2kq9",
        "-n",
        "payments",
        "-o",
        "jsonpath={.item.team.source.kind}",
    ]);
    assert_eq!(run.stdout, "Deployment");

    // assign: what would be written, through a template, and nothing written.
    let before = server
        .object("deployments", Some("payments"), "api")
        .unwrap();
    let run = env.owner(&[
        "assign",
        "deploy/api",
        "-n",
        "payments",
        "--stage",
        "production",
        "--dry-run",
        "-o",
        r#"jsonpath={range .items[*]}{.name}: {.result} {.changes[*].key}{"\n"}{end}"#,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "api: changed lifecycle\n");
    let run = env.owner(&[
        "unassign",
        "deploy/api",
        "-n",
        "payments",
        "--team",
        "--dry-run",
        "--no-headers",
        "-o",
        "custom-columns=NAME:.name,RESULT:.result",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "api   changed\n");
    assert_eq!(
        server
            .object("deployments", Some("payments"), "api")
            .unwrap(),
        before
    );
}

#[test]
fn teams_and_check_csv_for_spreadsheets() {
    let server = demo_server();
    let env = Env::new(&server);
    let teams = json(&env, &["teams", "-A"]);
    let run = env.owner(&["teams", "-A", "-o", "csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (header, records) = csv_records(&run.stdout);
    assert_eq!(header[..2], ["TEAM", "WORKLOADS"]);
    assert_eq!(header[header.len() - 2..], ["NAMESPACES", "CHAT"]);
    let items = teams["items"].as_array().unwrap();
    assert_eq!(records.len(), items.len());
    for (record, item) in records.iter().zip(items) {
        // A missing value is an empty field, not `<none>`; lists stay one field.
        assert_eq!(record[0], item["team"].as_str().unwrap_or(""));
        assert_eq!(record[1], item["workloads"].to_string());
        let namespaces: Vec<&str> = item["namespaces"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        assert_eq!(record[header.len() - 2], namespaces.join(","));
    }

    let check = json(&env, &["check", "-A"]);
    let run = env.owner(&["check", "-A", "-o", "csv"]);
    assert_eq!(run.code, 1, "findings at error: {}", run.stderr);
    let (header, records) = csv_records(&run.stdout);
    assert_eq!(
        header,
        [
            "NAMESPACE",
            "KIND",
            "NAME",
            "TEAM",
            "RULE",
            "SEVERITY",
            "DETAIL"
        ]
    );
    let findings = check["findings"].as_array().unwrap();
    let exempt = check["exempt"].as_array().unwrap();
    assert_eq!(records.len(), findings.len() + exempt.len());
    for (record, finding) in records.iter().zip(findings) {
        assert_eq!(record[2], finding["name"].as_str().unwrap());
        assert_eq!(record[3], finding["team"].as_str().unwrap_or(""));
        assert_eq!(record[6], finding["detail"].as_str().unwrap());
    }
}

#[test]
fn a_bad_template_or_column_spec_is_one_line_before_any_request() {
    let server = demo_server();
    let env = Env::new(&server);
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.txt");
    let missing_file = format!("custom-columns-file={}", missing.display());
    let cases: [(&[&str], i32); 6] = [
        (&["ls", "-A"], 1),
        (&["teams"], 1),
        (&["who", "api-7d9f8c6b5-x2kq9", "-n", "payments"], 1),
        (
            &[
                "assign",
                "deploy/api",
                "-n",
                "payments",
                "--team",
                "payments",
            ],
            1,
        ),
        (&["unassign", "deploy/api", "-n", "payments", "--team"], 1),
        // check's own contract: 2 is "could not check", 1 would read as findings.
        (&["check", "-A"], 2),
    ];
    for (command, code) in cases {
        for (output, error) in [
            (
                "jsonpath={.items[*",
                "error: error parsing jsonpath {.items[*, unclosed action\n".to_string(),
            ),
            (
                "jsonpath={range .items[*]}{.name}",
                "error: error parsing jsonpath {range .items[*]}{.name}, unclosed range\n"
                    .to_string(),
            ),
            (
                "custom-columns=NAME",
                "error: unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>\n"
                    .to_string(),
            ),
            (
                missing_file.as_str(),
                format!(
                    "error: reading {}: No such file or directory (os error 2)\n",
                    missing.display()
                ),
            ),
        ] {
            let mut args = command.to_vec();
            args.extend(["-o", output]);
            let run = env.owner(&args);
            assert_eq!(
                (run.code, run.stderr.as_str()),
                (code, error.as_str()),
                "{args:?}"
            );
            assert_eq!(run.stdout, "");
        }
    }
    // A template form without its template, in kubectl's words.
    for (output, line) in [
        (
            "jsonpath",
            "error: template format specified but no template given",
        ),
        (
            "custom-columns",
            "error: custom-columns format specified but no custom columns given",
        ),
    ] {
        let run = env.owner(&["ls", "-o", output]);
        assert_eq!((run.code, run.first_stderr_line()), (1, line), "{output}");
    }
    assert!(
        server.requests().is_empty(),
        "no request before the template is known good"
    );
}
