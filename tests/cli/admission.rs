//! `kubectl owner policy`: the generated ValidatingAdmissionPolicy, evaluated here with a Rust CEL
//! implementation (the `cel` crate) as the API server would evaluate it, denies exactly the
//! objects for which `check` reports a finding of an enforced rule — on generated namespaces and
//! objects, all checked by one `check -A` run against the test API server.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use crate::support::{Env, TestServer};

/// Every rule an admission policy can enforce.
const ENFORCED: [&str; 7] = [
    "missing-team",
    "unknown-team",
    "missing-stage",
    "invalid-stage",
    "deprecated-without-sunset",
    "retired-present",
    "invalid-sunset",
];

/// The generated objects' config: fallbacks, aliases, and rules that set a team, a stage, a
/// sunset and an exemption by namespace glob.
const CONFIG: &str = r#"
keys:
  teamFallbacks: [owner, tags.datadoghq.com/team]
  stageFallbacks: [opslevel.com/lifecycle]
rules:
  - namespaces: ["kube-*", monitoring]
    team: platform
    stage: production
  - namespaces: ["sandbox-?"]
    exempt: sandboxes are throwaway
  - namespaces: ["*-prod"]
    stage: production
  - namespaces: ["legacy-*"]
    sunset: "2027-01-31"
    stage: deprecated
teams:
  - name: payments
    aliases: [payments-old]
  - name: checkout
  - name: data
    aliases: [data-eng]
"#;

/// A CEL program per expression of the policy, compiled once.
struct Policy {
    conditions: Vec<cel::Program>,
    variables: Vec<(String, cel::Program)>,
    validations: Vec<cel::Program>,
}

fn compile(expression: &Value) -> cel::Program {
    let text = expression.as_str().unwrap();
    cel::Program::compile(text).unwrap_or_else(|e| panic!("{text}: {e:?}"))
}

impl Policy {
    fn new(policy: &Value) -> Policy {
        let spec = &policy["spec"];
        let list = |key: &str| spec[key].as_array().cloned().unwrap_or_default();
        Policy {
            conditions: list("matchConditions")
                .iter()
                .map(|c| compile(&c["expression"]))
                .collect(),
            variables: list("variables")
                .iter()
                .map(|v| {
                    (
                        v["name"].as_str().unwrap().to_string(),
                        compile(&v["expression"]),
                    )
                })
                .collect(),
            validations: list("validations")
                .iter()
                .map(|v| compile(&v["expression"]))
                .collect(),
        }
    }

    /// Whether admission refuses `object` in `namespace`: it matches every match condition and
    /// fails a validation. An evaluation error would refuse it too (`failurePolicy: Fail`); the
    /// generated expressions must never raise one, so it fails the test instead.
    fn denies(&self, object: &Value, namespace: &Value) -> bool {
        let mut ctx = cel::Context::default();
        ctx.add_variable_from_value("object", cel::to_value(object).unwrap());
        ctx.add_variable_from_value("oldObject", cel::Value::Null);
        ctx.add_variable_from_value("namespaceObject", cel::to_value(namespace).unwrap());
        ctx.add_variable_from_value("params", cel::Value::Null);
        let run = |program: &cel::Program, ctx: &cel::Context| {
            program
                .execute(ctx)
                .unwrap_or_else(|e| panic!("evaluation error {e:?} for {object}"))
        };
        if self
            .conditions
            .iter()
            .any(|c| run(c, &ctx) != cel::Value::Bool(true))
        {
            return false;
        }
        let mut variables: HashMap<String, cel::Value> = HashMap::new();
        for (name, program) in &self.variables {
            ctx.add_variable_from_value("variables", cel::Value::from(variables.clone()));
            let value = run(program, &ctx);
            variables.insert(name.clone(), value);
        }
        ctx.add_variable_from_value("variables", cel::Value::from(variables));
        self.validations
            .iter()
            .any(|v| run(v, &ctx) != cel::Value::Bool(true))
    }
}

/// A small deterministic generator (xorshift), so every run checks the same cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Values a key may hold: label values (valid as labels) and annotation-only ones.
fn values(key: &str) -> (&'static [&'static str], &'static [&'static str]) {
    match key {
        "team" | "owner" | "tags.datadoghq.com/team" => (
            &[
                "payments",
                "payments-old",
                "checkout",
                "data-eng",
                "dta",
                "",
                "Payments",
            ],
            &[" payments", "checkout ", "data eng", "\u{a0}payments"],
        ),
        "lifecycle" | "opslevel.com/lifecycle" => (
            &[
                "experimental",
                "production",
                "deprecated",
                "retired",
                "prod",
                "",
            ],
            &["Production", " retired"],
        ),
        "kubectl-owner/sunset" => (
            &[
                "2027-01-31",
                "2027-02-29",
                "2028-02-29",
                "2000-02-29",
                "1900-02-29",
                "2027-13-01",
                "soon",
                "",
            ],
            &[
                " 2027-03-01 ",
                "2027-3-1",
                "2027-04-31",
                "\t2030-12-31",
                "\u{a0}2027-01-31\u{3000}",
            ],
        ),
        _ => (
            &["true", "false", "FALSE", "yes", ""],
            &[
                " false ",
                "False",
                "frozen for the audit",
                "\u{a0}false",
                "fal\u{17f}e",
            ],
        ),
    }
}

const KEYS: [&str; 8] = [
    "team",
    "owner",
    "tags.datadoghq.com/team",
    "lifecycle",
    "opslevel.com/lifecycle",
    "kubectl-owner/sunset",
    "kubectl-owner/exempt",
    "a8r.io/ignore",
];

/// Labels and annotations drawn from [`KEYS`]: each key absent, a label, an annotation or both.
fn metadata(rng: &mut Rng, percent: u64) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let (mut labels, mut annotations) = (BTreeMap::new(), BTreeMap::new());
    for key in KEYS {
        if !rng.chance(percent) {
            continue;
        }
        let (label_values, annotation_only) = values(key);
        match rng.next() % 3 {
            0 => {
                labels.insert(key.to_string(), rng.pick(label_values).to_string());
            }
            1 => {
                let all: Vec<&str> = label_values
                    .iter()
                    .chain(annotation_only)
                    .copied()
                    .collect();
                annotations.insert(key.to_string(), rng.pick(&all).to_string());
            }
            _ => {
                labels.insert(key.to_string(), rng.pick(label_values).to_string());
                annotations.insert(key.to_string(), rng.pick(annotation_only).to_string());
            }
        }
    }
    (labels, annotations)
}

const NAMESPACES: [&str; 12] = [
    "kube-system",
    "kube-public-x",
    "monitoring",
    "sandbox-a",
    "sandbox-bb",
    "payments-prod",
    "legacy-billing",
    "team-a",
    "team-b",
    "shop",
    "data",
    "edge-prod",
];

/// The generated cluster: namespaces and objects inserted into `server`, and each object with
/// its namespace object, for the evaluator.
fn generate(server: &TestServer, seed: u64, per_namespace: usize) -> Vec<(Value, Value)> {
    let mut rng = Rng(seed);
    let mut cases = Vec::new();
    for ns in NAMESPACES {
        let (mut labels, annotations) = metadata(&mut rng, 25);
        labels.insert("kubernetes.io/metadata.name".into(), ns.into());
        let namespace = json!({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": ns, "labels": labels, "annotations": annotations}
        });
        server.insert(namespace.clone());
        let namespace = server.object("namespaces", None, ns).unwrap();
        for i in 0..per_namespace {
            let (labels, annotations) = metadata(&mut rng, 35);
            let owners = match rng.next() % 10 {
                0 => {
                    json!([{"apiVersion": "apps/v1", "kind": "Deployment", "name": "parent", "uid": "00000000-0000-4000-8000-000000000001", "controller": true}])
                }
                1 => {
                    json!([{"apiVersion": "rabbitmq.com/v1beta1", "kind": "RabbitmqCluster", "name": "mq", "uid": "00000000-0000-4000-8000-000000000002", "controller": true}])
                }
                2 => {
                    json!([{"apiVersion": "apps/v1", "kind": "Deployment", "name": "peer", "uid": "00000000-0000-4000-8000-000000000003"}])
                }
                _ => json!([]),
            };
            let name = format!("w{i}");
            let object = match rng.next() % 3 {
                0 => json!({
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": name, "namespace": ns, "labels": labels, "annotations": annotations, "ownerReferences": owners},
                    "spec": {"containers": [{"name": "c", "image": "busybox"}]}
                }),
                _ => json!({
                    "apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"name": name, "namespace": ns, "labels": labels, "annotations": annotations, "ownerReferences": owners},
                    "spec": {"selector": {"matchLabels": {"app": name}},
                             "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}
                }),
            };
            server.insert(object);
            cases.push((object_of(server, ns, &name), namespace.clone()));
        }
    }
    cases
}

/// The stored object (a Pod or a Deployment) of that name.
fn object_of(server: &TestServer, ns: &str, name: &str) -> Value {
    server
        .object("pods", Some(ns), name)
        .or_else(|| server.object("deployments", Some(ns), name))
        .expect("inserted")
}

/// (namespace, kind, name) of every object `check -A` (with `extra` arguments) reports an
/// enforced rule for.
fn refused_by_check(
    env: &Env,
    extra: &[&str],
) -> std::collections::BTreeSet<(String, String, String)> {
    let mut args = vec!["check", "-A", "-o", "json"];
    args.extend(extra);
    let run = env.owner(&args);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| ENFORCED.contains(&f["rule"].as_str().unwrap()))
        .map(|f| {
            let text = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (text("namespace"), text("kind"), text("name"))
        })
        .collect()
}

/// The `cel` crate's parser and interpreter recurse once per nested conditional: a debug build
/// needs more than a test thread's default stack for the policy's field lookups.
fn with_big_stack(body: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(512 << 20)
        .spawn(body)
        .unwrap()
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
}

#[test]
fn the_policy_denies_exactly_what_check_reports_on_generated_objects() {
    with_big_stack(agreement_on_generated_objects);
}

fn agreement_on_generated_objects() {
    let server = TestServer::start(Default::default());
    let cases = generate(&server, 0x5eed_cafe_f00d_1234, 250);
    let env = Env::new(&server).env("KUBECTL_OWNER_TODAY", "2026-11-28");
    let config = env.home().join("config.yaml");
    std::fs::write(&config, CONFIG).unwrap();
    let config = config.to_str().unwrap();
    let run = env.owner(&[
        "policy",
        "--config",
        config,
        "--rules",
        &ENFORCED.join(","),
        "-o",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let list: Value = serde_json::from_str(&run.stdout).unwrap();
    let policy = Policy::new(&list["items"][0]);
    let refused = refused_by_check(&env, &["--config", config]);
    let mut disagreements = Vec::new();
    let mut denied = 0;
    for (object, namespace) in &cases {
        let key = (
            object["metadata"]["namespace"]
                .as_str()
                .unwrap()
                .to_string(),
            object["kind"].as_str().unwrap().to_string(),
            object["metadata"]["name"].as_str().unwrap().to_string(),
        );
        let by_policy = policy.denies(object, namespace);
        denied += usize::from(by_policy);
        if by_policy != refused.contains(&key) {
            disagreements.push(format!(
                "{key:?}: policy {}, check {}: {}",
                if by_policy { "denies" } else { "admits" },
                if refused.contains(&key) {
                    "reports"
                } else {
                    "is silent"
                },
                object["metadata"]
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} of {} objects disagree, e.g.\n{}",
        disagreements.len(),
        cases.len(),
        disagreements[..disagreements.len().min(5)].join("\n")
    );
    // Both outcomes are well represented: the generator is not trivially all-good or all-bad.
    assert!(cases.len() >= 3000, "{}", cases.len());
    assert!(
        denied > cases.len() / 5 && denied < cases.len() * 4 / 5,
        "{denied}"
    );
}

/// The demo cluster's workloads, pods and namespaces, with its cluster config: every object,
/// controlled ones included, is admitted or denied as `check` reports it.
#[test]
fn the_policy_agrees_with_check_on_the_demo_cluster() {
    with_big_stack(|| {
        let server = crate::support::demo_server();
        let env = Env::new(&server).env("KUBECTL_OWNER_TODAY", "2026-11-28");
        let run = env.owner(&["policy", "--rules", &ENFORCED.join(","), "-o", "json"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let list: Value = serde_json::from_str(&run.stdout).unwrap();
        let policy = Policy::new(&list["items"][0]);
        let reported = refused_by_check(&env, &[]);
        let mut checked = 0;
        for resource in [
            "deployments",
            "replicasets",
            "statefulsets",
            "daemonsets",
            "jobs",
            "cronjobs",
            "pods",
            "rollouts",
        ] {
            for object in server.objects(resource) {
                let ns = object["metadata"]["namespace"]
                    .as_str()
                    .unwrap()
                    .to_string();
                let namespace = server.object("namespaces", None, &ns).unwrap();
                let key = (
                    ns,
                    object["kind"].as_str().unwrap().to_string(),
                    object["metadata"]["name"].as_str().unwrap().to_string(),
                );
                assert_eq!(
                    policy.denies(&object, &namespace),
                    reported.contains(&key),
                    "{key:?}"
                );
                checked += 1;
            }
        }
        assert!(checked > 30, "{checked}");
        assert!(!reported.is_empty());
    });
}

/// The output is the API's own types, and the API server accepts them with `kubectl apply`.
#[test]
fn the_policy_and_binding_are_valid_and_kubectl_applies_them() {
    use k8s_openapi::api::admissionregistration::v1::{
        ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding,
    };
    let server = crate::support::demo_server();
    let env = Env::new(&server);
    let json = env.owner(&["policy", "--action", "deny", "-o", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let list: Value = serde_json::from_str(&json.stdout).unwrap();
    let policy: ValidatingAdmissionPolicy =
        serde_json::from_value(list["items"][0].clone()).unwrap();
    let binding: ValidatingAdmissionPolicyBinding =
        serde_json::from_value(list["items"][1].clone()).unwrap();
    let spec = policy.spec.unwrap();
    assert_eq!(spec.failure_policy.as_deref(), Some("Fail"));
    let binding = binding.spec.unwrap();
    assert_eq!(binding.policy_name.as_deref(), Some("kubectl-owner"));
    assert_eq!(binding.validation_actions, Some(vec!["Deny".to_string()]));
    // Defaults: the config's enforceable error rules; the registry makes unknown-team one.
    let messages: Vec<String> = spec
        .validations
        .unwrap()
        .into_iter()
        .map(|v| v.message.unwrap())
        .collect();
    let rules: Vec<&str> = messages
        .iter()
        .map(|m| m.split(':').next().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "missing-team",
            "unknown-team",
            "invalid-stage",
            "retired-present",
            "invalid-sunset"
        ]
    );

    let yaml = env.owner(&["policy"]);
    assert_eq!(yaml.code, 0, "{}", yaml.stderr);
    crate::support::readme::assert_example("policy", "kubectl owner policy", &yaml.stdout, 0);
    assert!(yaml.stdout.contains("\n---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\n"));
    assert!(
        yaml.stdout.contains("- Warn\n"),
        "warn is the default action"
    );
    if !crate::support::kubectl_available() {
        return;
    }
    let file = env.home().join("policy.yaml");
    std::fs::write(&file, &yaml.stdout).unwrap();
    let file = file.to_str().unwrap();
    let applied = env.kubectl(&["apply", "-f", file]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    assert_eq!(
        applied.stdout,
        "validatingadmissionpolicy.admissionregistration.k8s.io/kubectl-owner created\n\
         validatingadmissionpolicybinding.admissionregistration.k8s.io/kubectl-owner created\n"
    );
    let again = env.kubectl(&["apply", "-f", file]);
    assert_eq!(
        again.stdout,
        "validatingadmissionpolicy.admissionregistration.k8s.io/kubectl-owner unchanged\n\
         validatingadmissionpolicybinding.admissionregistration.k8s.io/kubectl-owner unchanged\n"
    );
    let stored = server
        .object("validatingadmissionpolicies", None, "kubectl-owner")
        .unwrap();
    assert_eq!(stored["spec"]["failurePolicy"], "Fail");
}

/// Bad input is one error line and exit 1, before or instead of any output.
#[test]
fn rules_and_configs_the_policy_cannot_express_are_one_error_line() {
    let server = crate::support::demo_server();
    let env = Env::new(&server);
    for (args, message) in [
        (
            vec!["policy", "--rules", "missing-tem"],
            "error: unknown check rule \"missing-tem\" (did you mean \"missing-team\"?)",
        ),
        (
            vec!["policy", "--rules", "missing-team,past-sunset"],
            "error: rule \"past-sunset\" cannot be enforced at admission: it compares the sunset date with today, and an admission policy has no clock (enforceable: missing-team, unknown-team, missing-stage, invalid-stage, deprecated-without-sunset, retired-present, invalid-sunset)",
        ),
    ] {
        let run = env.owner(&args);
        assert_eq!(run.code, 1);
        assert_eq!(run.first_stderr_line(), message);
        assert_eq!(run.stdout, "");
    }
    // Without a registry every team would be unknown: refused, not generated.
    let bare = TestServer::start(Default::default());
    let run = Env::new(&bare).owner(&["policy", "--rules", "unknown-team"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: rule \"unknown-team\" needs a team registry (teams: in the config): without one every team is unknown\n"
    );
    // Every glob the config accepts (lower-case names, `*`, `?`) is expressible; the others are
    // refused when the config is read, as by every command.
    let config = env.home().join("odd.yaml");
    std::fs::write(
        &config,
        "rules:\n  - namespaces: [\"Team_*\"]\n    team: platform\n",
    )
    .unwrap();
    let run = env.owner(&["policy", "--config", config.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("error: config ")
            && run.stderr.contains("invalid namespace glob \"Team_*\""),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");
}
