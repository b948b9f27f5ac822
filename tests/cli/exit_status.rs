//! Exit statuses come from what the command is and how it ended, never from the words on the
//! line; a result that could not be written is a failure, not a pass.

use std::fs::File;
use std::process::Stdio;

use crate::support::{Env, demo_server};

#[test]
fn a_flag_error_exits_by_its_subcommand_not_by_a_word_on_the_line() {
    let env = Env::without_cluster();
    // `check` here is the value of --team: this is an `ls` error, kubectl's status 1.
    let run = env.owner(&["ls", "--team", "check", "--bogus"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    // kubectl's two lines: the error, then the hint.
    assert_eq!(
        run.stderr,
        "error: unknown flag: --bogus\nSee 'kubectl owner ls --help' for usage.\n"
    );
    // The same flag error in `check` means "could not check": 2.
    let run = env.owner(&["check", "--bogus"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr.lines().last(),
        Some("See 'kubectl owner check --help' for usage.")
    );
    let run = env.owner(&["who", "check", "--bogus"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
}

#[test]
fn a_bad_value_is_a_usage_error_with_the_hint_before_any_request() {
    let server = demo_server();
    let env = Env::new(&server);
    let run = env.owner(&["ls", "-A", "--sort-by", "owner"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr.lines().last(),
        Some("See 'kubectl owner ls --help' for usage.")
    );
    let run = env.owner(&["check", "-A", "-l", "tier in web"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.first_stderr_line(),
        "error: unable to parse requirement: found 'web', expected: '('"
    );
    let run = env.owner(&["assign", "deploy/api", "--sunset", "2026-02-30"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.first_stderr_line(),
        "error: invalid --sunset \"2026-02-30\": expected a calendar date YYYY-MM-DD"
    );
    assert_eq!(server.requests().len(), 0, "validated before connecting");
}

fn dev_full() -> Stdio {
    Stdio::from(
        File::options()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full"),
    )
}

#[test]
fn check_whose_report_cannot_be_written_exits_2() {
    let server = demo_server();
    let env = Env::new(&server);
    // The demo cluster has findings (exit 1) and exempt objects; with --fail-on never the report
    // is a pass (0) — unless it never reached anyone.
    let run = env.owner_with_stdout(&["check", "-A", "--fail-on", "never"], dev_full());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.first_stderr_line()
            .starts_with("error: writing output:"),
        "{}",
        run.stderr
    );
    let run = env.owner_with_stdout(&["check", "-A"], dev_full());
    assert_eq!(run.code, 2, "{}", run.stderr);
    // Every other command: kubectl's 1.
    for args in [&["ls", "-A"][..], &["teams", "-A"], &["completion", "bash"]] {
        let run = env.owner_with_stdout(args, dev_full());
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
    }
}

#[test]
fn a_closed_pipe_is_success() {
    let server = demo_server();
    let env = Env::new(&server);
    // A reader that has already gone, as `| head -0` leaves it.
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let run = env.owner_with_stdout(&["check", "-A", "--fail-on", "never"], Stdio::from(writer));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
}

#[test]
fn a_line_without_a_known_subcommand_points_at_the_top_level_help() {
    let env = Env::without_cluster();
    // A bare `kubectl owner` answers with the help, on stderr, as a failed run.
    let run = env.owner(&[]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .contains("Usage: kubectl owner [OPTIONS] <COMMAND>"),
        "{}",
        run.stderr
    );
    let run = env.owner(&["lss"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.first_stderr_line(),
        "error: unknown command \"lss\" for \"kubectl owner\"; did you mean \"list\" or \"ls\"?"
    );
    assert_eq!(
        run.stderr.lines().last(),
        Some("See 'kubectl owner --help' for usage.")
    );
    // An alias is its subcommand.
    let run = env.owner(&["list", "--bogus"]);
    assert_eq!(
        run.stderr.lines().last(),
        Some("See 'kubectl owner ls --help' for usage.")
    );
}

#[test]
fn arguments_that_are_not_utf8_are_a_clean_usage_error() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let env = Env::without_cluster();
    let bad = OsStr::from_bytes(b"deploy/\xff");
    for (subcommand, code) in [("ls", 1), ("check", 2), ("assign", 1)] {
        let run = env.owner_os(&[OsStr::new(subcommand), bad]);
        assert_eq!(run.code, code, "{subcommand}: {}", run.stderr);
        assert_eq!(
            run.first_stderr_line(),
            "error: invalid UTF-8 was detected in one or more arguments"
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
}
