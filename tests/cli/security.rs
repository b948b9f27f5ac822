//! Nothing leaks and nothing attacker-controlled reaches the terminal raw.

use crate::support::{Env, demo_server};
use serde_json::json;

const TOKEN: &str = "sekr3t-t0ken-do-not-print";

#[test]
fn tokens_never_appear_in_any_output_even_verbose_or_failing() {
    let server = demo_server();
    server.add_token(TOKEN, "alice");
    let env = Env::with_kubeconfig(&server.kubeconfig("t", Some("payments"), Some(TOKEN)));
    let mut runs = Vec::new();
    // -v=6 and up print a line per request; none of them ever names a credential.
    for verbosity in ["-v=6", "-v=7", "-v=8", "-v=9"] {
        for args in [
            vec!["ls", "-A", verbosity],
            vec!["ls", "-A", "-o", "json", verbosity],
            vec!["who", "api-7d9f8c6b5-x2kq9", verbosity],
            vec!["teams", "-A", verbosity],
            vec![
                "ls",
                "deploy",
                "--token",
                "wrong-but-also-secret",
                verbosity,
            ],
        ] {
            runs.push(env.owner(&args));
        }
    }
    assert!(runs[0].code == 0 && runs[4].code == 1);
    assert!(runs[0].stderr.contains(" 200 OK in "), "{}", runs[0].stderr);
    assert!(
        runs[4].stderr.contains(" 401 Unauthorized in "),
        "{}",
        runs[4].stderr
    );
    for run in &runs {
        for secret in [TOKEN, "wrong-but-also-secret"] {
            assert!(
                !run.stdout.contains(secret) && !run.stderr.contains(secret),
                "leaked: {run:?}"
            );
        }
    }
}

#[test]
fn client_key_data_is_never_printed() {
    let server = demo_server();
    let key = "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCnNlY3JldC1rZXktbWF0ZXJpYWwKLS0tLS1FTkQgUFJJVkFURSBLRVktLS0tLQo=";
    let cert = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCmJvZ3VzCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K";
    let kubeconfig = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: t\nclusters:\n- name: t\n  cluster:\n    server: {}\n\
         contexts:\n- name: t\n  context:\n    cluster: t\n    user: t\n\
         users:\n- name: t\n  user:\n    client-certificate-data: {cert}\n    client-key-data: {key}\n",
        server.url()
    );
    let run = Env::with_kubeconfig(&kubeconfig).owner(&["ls", "-v=9"]);
    for secret in [key, cert, "secret-key-material", "PRIVATE KEY"] {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "leaked {secret}: {run:?}"
        );
    }
}

#[test]
fn control_characters_in_values_are_escaped_in_tables() {
    let server = demo_server();
    server.insert(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "evil", "namespace": "default",
                     "annotations": {"team": "red\u{1b}[31mteam\nfake-row", "a8r.io/chat": "#chat\u{1b}]0;title\u{7}"}},
        "spec": {"selector": {"matchLabels": {"app": "evil"}},
                 "template": {"metadata": {"labels": {"app": "evil"}}, "spec": {"containers": [{"name": "c", "image": "x"}]}}}
    }));
    let env = Env::new(&server);
    for args in [
        vec!["ls", "-o", "wide"],
        vec!["who", "deploy/evil"],
        vec!["teams"],
    ] {
        let run = env.owner(&args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            !run.stdout.contains('\u{1b}') && !run.stdout.contains('\u{7}'),
            "{args:?}: raw escape in {:?}",
            run.stdout
        );
        assert!(
            run.stdout.contains("red\\u{1b}[31mteam\\nfake-row"),
            "{args:?}: {}",
            run.stdout
        );
    }
    // JSON keeps the real value (escaped by JSON itself).
    let run = env.owner(&["ls", "-o", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        doc["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == "evil")
            .unwrap()["team"]["value"],
        "red\u{1b}[31mteam\nfake-row"
    );
}

#[test]
fn invisible_format_characters_cannot_pass_for_another_team() {
    let server = demo_server();
    // `payments` followed by a zero-width space, and a right-to-left override: in a table they
    // would print like `payments` and a reversed word.
    server.insert(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "lookalike", "namespace": "default",
                     "annotations": {"team": "payments\u{200b}", "a8r.io/chat": "\u{202e}stnemyap#"}},
        "spec": {"selector": {"matchLabels": {"app": "lookalike"}},
                 "template": {"metadata": {"labels": {"app": "lookalike"}}, "spec": {"containers": [{"name": "c", "image": "x"}]}}}
    }));
    let env = Env::new(&server);
    for args in [
        vec!["ls", "-o", "wide"],
        vec!["who", "deploy/lookalike"],
        vec!["teams"],
    ] {
        let run = env.owner(&args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            !run.stdout.contains('\u{200b}') && !run.stdout.contains('\u{202e}'),
            "{args:?}: {:?}",
            run.stdout
        );
        assert!(
            run.stdout.contains("payments\\u{200b}"),
            "{args:?}: {}",
            run.stdout
        );
    }
}

#[test]
fn config_and_server_text_reach_stderr_escaped() {
    let server = demo_server();
    let env = Env::new(&server);
    let config = env.home().join("owner.yaml");
    std::fs::write(&config, "stages: [\"prod\\e[2Juction\"]\n").unwrap();
    let run = env.owner(&["ls", "--config", &config.display().to_string()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
    // A name from the command line comes back in the server's NotFound message.
    let run = env.owner(&["who", "deploy/x\u{1b}[2Jy"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
}

#[test]
fn token_files_and_auth_provider_tokens_are_never_printed() {
    let server = demo_server();
    server.add_token("the-right-token", "alice");
    let env = Env::new(&server);
    let token_file = env.home().join("token");
    std::fs::write(&token_file, "TOKENFILE-MARKER-s3cr3t").unwrap();
    let user_kinds = [
        format!("tokenFile: {}", token_file.display()),
        "auth-provider:\n      name: oidc\n      config:\n        id-token: PROVIDER-MARKER-s3cr3t\n        refresh-token: REFRESH-MARKER-s3cr3t\n        client-secret: SECRET-MARKER-s3cr3t\n        idp-issuer-url: https://idp.invalid"
            .to_string(),
    ];
    for user in user_kinds {
        let kubeconfig = format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: t\nclusters:\n- name: t\n  cluster:\n    server: {}\n\
             contexts:\n- name: t\n  context:\n    cluster: t\n    user: t\nusers:\n- name: t\n  user:\n    {user}\n",
            server.url()
        );
        std::fs::write(&env.kubeconfig, kubeconfig).unwrap();
        for verbosity in ["0", "9"] {
            // The server does not know these tokens: every command fails as Unauthorized.
            let run = env.owner(&["ls", "-A", "-v", verbosity]);
            assert_eq!(run.code, 1, "{}", run.stderr);
            for marker in [
                "TOKENFILE-MARKER",
                "PROVIDER-MARKER",
                "REFRESH-MARKER",
                "SECRET-MARKER",
            ] {
                assert!(
                    !run.stdout.contains(marker) && !run.stderr.contains(marker),
                    "{marker} leaked at -v={verbosity}: {}",
                    run.stderr
                );
            }
        }
    }
}
