//! A bulk `assign` of 600 objects while the cluster misbehaves on purpose, from a fixed seed:
//! another writer changes other keys (and, on some objects, the same key) between our read and
//! our patch, some objects are deleted and recreated, and the server drops connections, loses
//! answers after applying a patch, and answers 429, 500, 503 and 504. Afterwards every object
//! holds exactly what the rules say, no concurrent change is lost, and the report matches the
//! final state object by object. `cargo test --test cli torture -- --nocapture` prints the counts.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use test_apiserver::{Fault, FaultKind, ServerOptions, TestServer};

use crate::support::Env;

const OBJECTS: usize = 600;
const SEED: u64 = 0x6b75_6265_6f77_6e72;

/// What happens to one object on its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trouble {
    None,
    /// Another writer sets a label of its own: 409, re-read, both changes kept.
    OtherKey,
    /// Another writer sets `lifecycle` itself: 409, re-read, refused without --overwrite.
    SameKey,
    /// Deleted and recreated under the same name: 409, re-read, a new uid: not written.
    Recreated,
    /// The connection drops before the server reads the patch: read again, patch again.
    Dropped,
    /// The server applies the patch, then the answer is lost: read again, it landed.
    AnswerLost,
    /// Throttled or failing for a moment: retried.
    Status(u16),
}

/// xorshift64*: a fixed, seeded sequence (no dependency for one test's dice).
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn trouble(&mut self) -> Trouble {
        match self.next() % 100 {
            0..=14 => Trouble::OtherKey,
            15..=19 => Trouble::SameKey,
            20..=24 => Trouble::Recreated,
            25..=29 => Trouble::Dropped,
            30..=34 => Trouble::AnswerLost,
            35..=37 => Trouble::Status(429),
            38..=39 => Trouble::Status(500),
            40..=41 => Trouble::Status(503),
            42..=43 => Trouble::Status(504),
            _ => Trouble::None,
        }
    }
}

fn name(i: usize) -> String {
    format!("t-{i}")
}

#[test]
fn bulk_assign_under_faults_and_concurrent_writers_loses_nothing() {
    let server = TestServer::start(ServerOptions::default());
    server
        .insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "torture"}}));
    for i in 0..OBJECTS {
        server.insert(json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name(i), "namespace": "torture", "labels": {"app": "torture"}},
            "spec": {"selector": {"matchLabels": {"app": "torture"}},
                     "template": {"metadata": {"labels": {"app": "torture"}}, "spec": {"containers": [{"name": "c", "image": "x"}]}}}
        }));
    }
    let mut dice = Dice(SEED);
    let mut troubles = Vec::with_capacity(OBJECTS);
    let mut uids = Vec::with_capacity(OBJECTS);
    for i in 0..OBJECTS {
        let trouble = dice.trouble();
        // The object's own PATCH path: `?` ends the name, so `t-1` never matches `t-17`.
        let path = format!("/namespaces/torture/deployments/{}?", name(i));
        let kind = match trouble {
            Trouble::None => None,
            Trouble::OtherKey => Some(FaultKind::ConcurrentPatch(
                json!({"metadata": {"labels": {"release": format!("r-{i}")}}}),
            )),
            Trouble::SameKey => Some(FaultKind::ConcurrentPatch(
                json!({"metadata": {"labels": {"lifecycle": "experimental"}}}),
            )),
            Trouble::Recreated => Some(FaultKind::Recreate),
            Trouble::Dropped => Some(FaultKind::DropConnection),
            Trouble::AnswerLost => Some(FaultKind::TruncatedBody),
            Trouble::Status(code) => Some(FaultKind::Status {
                code,
                retry_after: None,
            }),
        };
        if let Some(kind) = kind {
            server.add_fault(Fault::new(&path, 1, kind).method("PATCH"));
        }
        troubles.push(trouble);
        let object = server
            .object("deployments", Some("torture"), &name(i))
            .unwrap();
        uids.push(object["metadata"]["uid"].as_str().unwrap().to_string());
    }

    let run = Env::new(&server).owner(&[
        "assign",
        "deploy",
        "-n",
        "torture",
        "-l",
        "app=torture",
        "--stage",
        "production",
        "-o",
        "json",
    ]);
    // Skipped objects (the same key taken, recreated) make the run exit 1, as kubectl label does.
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    let results: BTreeMap<String, String> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            (
                item["name"].as_str().unwrap().to_string(),
                item["result"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(results.len(), OBJECTS, "one result per object");

    let mut lost_writes = 0;
    for (i, trouble) in troubles.iter().enumerate() {
        let object = server
            .object("deployments", Some("torture"), &name(i))
            .unwrap();
        let labels = &object["metadata"]["labels"];
        let uid = object["metadata"]["uid"].as_str().unwrap();
        let (lifecycle, result) = match trouble {
            Trouble::SameKey => ("experimental", "skipped"),
            Trouble::Recreated => ("", "skipped"),
            _ => ("production", "changed"),
        };
        assert_eq!(
            labels
                .get("lifecycle")
                .and_then(Value::as_str)
                .unwrap_or(""),
            lifecycle,
            "{} ({trouble:?}): {labels}",
            name(i)
        );
        assert_eq!(
            results[&name(i)],
            result,
            "{} ({trouble:?}): the report matches the final state",
            name(i)
        );
        assert_eq!(labels["app"], "torture", "{}: other labels kept", name(i));
        if *trouble == Trouble::OtherKey && labels["release"] != format!("r-{i}") {
            lost_writes += 1;
        }
        assert_eq!(
            uid != uids[i],
            *trouble == Trouble::Recreated,
            "{} ({trouble:?}): only recreated objects have a new uid",
            name(i)
        );
    }
    assert_eq!(lost_writes, 0, "every concurrent writer's change survives");

    let requests = server.requests();
    let patches: Vec<_> = requests.iter().filter(|r| r.method == "PATCH").collect();
    let count = |t: &dyn Fn(&Trouble) -> bool| troubles.iter().filter(|x| t(x)).count();
    let faults = count(&|t| *t != Trouble::None);
    let conflicts = patches.iter().filter(|r| r.status == 409).count();
    let writes_sent_again = patches.len().saturating_sub(OBJECTS);
    println!(
        "torture: {OBJECTS} objects, {faults} faults injected (concurrent other key {}, same key {}, recreated {}, dropped {}, answer lost {}, 429/5xx {}), {} PATCH requests ({writes_sent_again} beyond one per object), {conflicts} conflicts (409), {} GETs to read objects again, lost writes {lost_writes}",
        count(&|t| *t == Trouble::OtherKey),
        count(&|t| *t == Trouble::SameKey),
        count(&|t| *t == Trouble::Recreated),
        count(&|t| *t == Trouble::Dropped),
        count(&|t| *t == Trouble::AnswerLost),
        count(&|t| matches!(t, Trouble::Status(_))),
        patches.len(),
        requests
            .iter()
            .filter(|r| r.method == "GET"
                && r.path
                    .starts_with("/apis/apps/v1/namespaces/torture/deployments/"))
            .count(),
    );
    // Every object was sent at most as often as its trouble needs: nothing was patched blind.
    assert!(patches.len() <= OBJECTS * 2, "{} patches", patches.len());
}
