//! The demo cluster and the scale cluster.
//!
//! Demo timestamps are fixed relative to server start (namespaces 120d, workloads 30d,
//! pods 2d) and uids are UUIDs derived from kind, namespace and name, so output is stable.

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use crate::store::{Store, default_uid, rfc3339, suffix};

/// Size of [`crate::TestServer::seed_scale`]'s cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScaleParams {
    /// Namespaces `ns-0000`…
    pub namespaces: usize,
    /// Deployments `deploy-00000`…, spread evenly over the namespaces, one ReplicaSet each.
    pub deployments: usize,
    /// Pods spread evenly over the ReplicaSets.
    pub pods: usize,
}

impl Default for ScaleParams {
    fn default() -> Self {
        ScaleParams {
            namespaces: 2000,
            deployments: 20000,
            pods: 100_000,
        }
    }
}

const DAY: i64 = 86_400;

fn ago(start: Timestamp, days: i64) -> String {
    rfc3339(Timestamp::from_second(start.as_second() - days * DAY).expect("timestamp in range"))
}

fn map(pairs: &[(&str, &str)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect::<Map<String, Value>>(),
    )
}

fn with(base: &Value, extra: &[(&str, &str)]) -> Value {
    let mut m = base.clone();
    for (k, v) in extra {
        m[*k] = json!(v);
    }
    m
}

/// An owner reference with `controller: true`.
fn owner(api_version: &str, kind: &str, ns: &str, name: &str) -> Value {
    json!({
        "apiVersion": api_version,
        "kind": kind,
        "name": name,
        "uid": default_uid(kind, ns, name),
        "controller": true,
        "blockOwnerDeletion": true,
    })
}

struct Meta<'a> {
    ns: &'a str,
    name: &'a str,
    labels: Value,
    annotations: Value,
    created: String,
    owner: Option<Value>,
}

fn object(
    api_version: &str,
    kind: &str,
    m: Meta<'_>,
    spec: Option<Value>,
    status: Option<Value>,
) -> Value {
    let mut meta = Map::new();
    meta.insert("name".into(), json!(m.name));
    if !m.ns.is_empty() {
        meta.insert("namespace".into(), json!(m.ns));
    }
    meta.insert("uid".into(), json!(default_uid(kind, m.ns, m.name)));
    if !matches!(kind, "Pod" | "Namespace" | "Node" | "ConfigMap" | "Secret") {
        meta.insert("generation".into(), json!(1));
    }
    meta.insert("creationTimestamp".into(), json!(m.created));
    if m.labels.as_object().is_some_and(|o| !o.is_empty()) {
        meta.insert("labels".into(), m.labels);
    }
    if m.annotations.as_object().is_some_and(|o| !o.is_empty()) {
        meta.insert("annotations".into(), m.annotations);
    }
    if let Some(o) = m.owner {
        meta.insert("ownerReferences".into(), json!([o]));
    }
    let mut v = json!({"apiVersion": api_version, "kind": kind, "metadata": meta});
    if let Some(s) = spec {
        v["spec"] = s;
    }
    if let Some(s) = status {
        v["status"] = s;
    }
    v
}

fn template(labels: &Value, container: &str) -> Value {
    json!({
        "metadata": {"labels": labels},
        "spec": {"containers": [{"name": container, "image": format!("registry.example/{container}:1.4.2")}]},
    })
}

struct Seeder<'a> {
    store: &'a mut Store,
    start: Timestamp,
}

impl Seeder<'_> {
    fn add(&mut self, v: Value) {
        self.store
            .insert(v, self.start)
            .unwrap_or_else(|e| panic!("seed object: {e}"));
    }

    fn namespace(&mut self, name: &str, labels: &[(&str, &str)], annotations: &[(&str, &str)]) {
        let mut l = map(labels);
        l["kubernetes.io/metadata.name"] = json!(name);
        let m = Meta {
            ns: "",
            name,
            labels: l,
            annotations: map(annotations),
            created: ago(self.start, 120),
            owner: None,
        };
        self.add(object(
            "v1",
            "Namespace",
            m,
            Some(json!({"finalizers": ["kubernetes"]})),
            Some(json!({"phase": "Active"})),
        ));
    }

    #[allow(clippy::too_many_arguments)]
    fn pod(
        &mut self,
        ns: &str,
        name: &str,
        labels: Value,
        owner: Option<Value>,
        container: &str,
        phase: &str,
        days: i64,
    ) {
        let m = Meta {
            ns,
            name,
            labels,
            annotations: json!({}),
            created: ago(self.start, days),
            owner,
        };
        let spec = json!({
            "containers": [{"name": container, "image": format!("registry.example/{container}:1.4.2")}],
            "nodeName": "node-1",
        });
        self.add(object(
            "v1",
            "Pod",
            m,
            Some(spec),
            Some(json!({"phase": phase})),
        ));
    }

    /// A Deployment (or Rollout) with its ReplicaSets and their pods.
    #[allow(clippy::too_many_arguments)]
    fn rs_workload(
        &mut self,
        api_version: &str,
        kind: &str,
        ns: &str,
        name: &str,
        labels: &[(&str, &str)],
        annotations: &[(&str, &str)],
        template_extra: &[(&str, &str)],
        replica_sets: &[(&str, &[&str])],
    ) {
        let tmpl_labels = with(&map(&[("app", name)]), template_extra);
        let replicas = replica_sets.first().map_or(0, |(_, p)| p.len());
        let mut spec = json!({
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": template(&tmpl_labels, name),
        });
        if kind == "Rollout" {
            spec["strategy"] = json!({"canary": {"steps": [{"setWeight": 20}, {"pause": {}}]}});
        }
        let m = Meta {
            ns,
            name,
            labels: map(labels),
            annotations: map(annotations),
            created: ago(self.start, 30),
            owner: None,
        };
        self.add(object(
            api_version,
            kind,
            m,
            Some(spec),
            Some(json!({"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas})),
        ));
        for (hash, pods) in replica_sets {
            let rs_name = format!("{name}-{hash}");
            let rs_labels = with(&tmpl_labels, &[("pod-template-hash", hash)]);
            let m = Meta {
                ns,
                name: &rs_name,
                labels: rs_labels.clone(),
                annotations: json!({}),
                created: ago(self.start, 30),
                owner: Some(owner(api_version, kind, ns, name)),
            };
            let spec = json!({
                "replicas": pods.len(),
                "selector": {"matchLabels": {"app": name, "pod-template-hash": hash}},
                "template": template(&rs_labels, name),
            });
            self.add(object(
                "apps/v1",
                "ReplicaSet",
                m,
                Some(spec),
                Some(json!({"replicas": pods.len(), "readyReplicas": pods.len()})),
            ));
            for p in *pods {
                let pod_name = format!("{rs_name}-{p}");
                let o = owner("apps/v1", "ReplicaSet", ns, &rs_name);
                self.pod(
                    ns,
                    &pod_name,
                    rs_labels.clone(),
                    Some(o),
                    name,
                    "Running",
                    2,
                );
            }
        }
    }

    fn statefulset(
        &mut self,
        ns: &str,
        name: &str,
        labels: &[(&str, &str)],
        replicas: usize,
        days: i64,
    ) {
        let tmpl_labels = map(&[("app", name)]);
        let m = Meta {
            ns,
            name,
            labels: map(labels),
            annotations: json!({}),
            created: ago(self.start, days),
            owner: None,
        };
        let spec = json!({
            "replicas": replicas,
            "serviceName": name,
            "selector": {"matchLabels": {"app": name}},
            "template": template(&tmpl_labels, name),
        });
        self.add(object(
            "apps/v1",
            "StatefulSet",
            m,
            Some(spec),
            Some(json!({"replicas": replicas, "readyReplicas": replicas})),
        ));
        for i in 0..replicas {
            let pod = format!("{name}-{i}");
            let l = with(
                &tmpl_labels,
                &[("statefulset.kubernetes.io/pod-name", &pod)],
            );
            let o = owner("apps/v1", "StatefulSet", ns, name);
            self.pod(ns, &pod, l, Some(o), name, "Running", 2);
        }
    }

    fn daemonset(
        &mut self,
        ns: &str,
        name: &str,
        labels: &[(&str, &str)],
        annotations: &[(&str, &str)],
        pod_suffix: &str,
        days: i64,
    ) {
        let tmpl_labels = map(&[("app", name)]);
        let m = Meta {
            ns,
            name,
            labels: map(labels),
            annotations: map(annotations),
            created: ago(self.start, days),
            owner: None,
        };
        let spec = json!({
            "selector": {"matchLabels": {"app": name}},
            "template": template(&tmpl_labels, name),
        });
        self.add(object(
            "apps/v1",
            "DaemonSet",
            m,
            Some(spec),
            Some(json!({"desiredNumberScheduled": 1, "numberReady": 1})),
        ));
        let o = owner("apps/v1", "DaemonSet", ns, name);
        self.pod(
            ns,
            &format!("{name}-{pod_suffix}"),
            tmpl_labels,
            Some(o),
            name,
            "Running",
            2,
        );
    }

    /// A Job (owned by a CronJob when `cron` is given) and its one pod.
    #[allow(clippy::too_many_arguments)]
    fn job(
        &mut self,
        ns: &str,
        name: &str,
        labels: &[(&str, &str)],
        app: &str,
        cron: Option<&str>,
        pod_suffix: &str,
        days: i64,
    ) {
        let tmpl_labels = map(&[("app", app), ("job-name", name)]);
        let m = Meta {
            ns,
            name,
            labels: with(&map(labels), &[("job-name", name)]),
            annotations: json!({}),
            created: ago(self.start, days),
            owner: cron.map(|c| owner("batch/v1", "CronJob", ns, c)),
        };
        let mut t = template(&tmpl_labels, app);
        t["spec"]["restartPolicy"] = json!("Never");
        let spec = json!({"backoffLimit": 6, "completions": 1, "parallelism": 1, "template": t});
        self.add(object(
            "batch/v1",
            "Job",
            m,
            Some(spec),
            Some(json!({"succeeded": 1})),
        ));
        let o = owner("batch/v1", "Job", ns, name);
        self.pod(
            ns,
            &format!("{name}-{pod_suffix}"),
            tmpl_labels,
            Some(o),
            app,
            "Succeeded",
            days.min(2),
        );
    }

    fn cronjob(&mut self, ns: &str, name: &str, labels: &[(&str, &str)], days: i64) {
        let tmpl_labels = map(&[("app", name)]);
        let m = Meta {
            ns,
            name,
            labels: map(labels),
            annotations: json!({}),
            created: ago(self.start, days),
            owner: None,
        };
        let mut t = template(&tmpl_labels, name);
        t["spec"]["restartPolicy"] = json!("Never");
        let spec = json!({
            "schedule": "0 3 * * *",
            "concurrencyPolicy": "Forbid",
            "jobTemplate": {"spec": {"template": t}},
        });
        self.add(object(
            "batch/v1",
            "CronJob",
            m,
            Some(spec),
            Some(json!({})),
        ));
    }
}

const REGISTRY: &str = r##"teams:
  - name: payments
    aliases: [payments-old]
    chat: "#payments"
    oncall: https://pager.example/schedules/P123
    email: payments@example.com
    runbook: https://runbooks.example/payments
  - name: checkout
    aliases: [checkout-old]
    chat: "#checkout"
    email: checkout@example.com
  - name: data
    aliases: [data-eng]
    chat: "#data"
  - name: search
    chat: "#search"
  - name: platform
    chat: "#platform"
rules:
  - namespaces: ["kube-*"]
    team: platform
    stage: production
"##;

/// The fixed demo cluster.
pub(crate) fn demo(store: &mut Store, start: Timestamp) {
    let mut s = Seeder { store, start };
    s.namespace(
        "payments",
        &[("team", "payments"), ("lifecycle", "production")],
        &[
            ("a8r.io/chat", "#payments"),
            ("a8r.io/runbook", "https://runbooks.example/payments"),
        ],
    );
    s.namespace("checkout", &[("team", "checkout")], &[]);
    s.namespace("search", &[], &[]);
    s.namespace("data", &[("team", "data")], &[]);
    s.namespace("kube-system", &[], &[]);
    s.namespace("kube-public", &[], &[]);
    s.namespace("default", &[], &[]);

    s.add(object(
        "v1",
        "Node",
        Meta {
            ns: "",
            name: "node-1",
            labels: map(&[
                ("kubernetes.io/hostname", "node-1"),
                ("kubernetes.io/os", "linux"),
            ]),
            annotations: json!({}),
            created: ago(start, 120),
            owner: None,
        },
        Some(json!({"podCIDR": "10.244.0.0/24"})),
        Some(json!({"conditions": [{"type": "Ready", "status": "True"}]})),
    ));

    // payments
    s.rs_workload(
        "apps/v1",
        "Deployment",
        "payments",
        "api",
        &[("app", "api"), ("team", "payments"), ("tier", "web")],
        &[
            ("a8r.io/chat", "#payments-api"),
            ("a8r.io/owner", "jane@example.com"),
            ("app.kubernetes.io/part-of", "shop"),
        ],
        &[("team", "payments-old")],
        &[("7d9f8c6b5", &["x2kq9", "m4n7p"]), ("6c4f7b9d8", &[])],
    );
    s.rs_workload(
        "apps/v1",
        "Deployment",
        "payments",
        "ledger",
        &[
            ("app", "ledger"),
            ("tier", "web"),
            ("lifecycle", "production"),
        ],
        &[],
        &[],
        &[("5b7c9d6f4", &["q8w2e"])],
    );
    s.statefulset(
        "payments",
        "postgres",
        &[("app", "postgres"), ("team", "data")],
        2,
        30,
    );

    // checkout
    s.rs_workload(
        "apps/v1",
        "Deployment",
        "checkout",
        "web",
        &[
            ("app", "web"),
            ("tier", "web"),
            ("lifecycle", "experimental"),
        ],
        &[],
        &[],
        &[("84d5f7c6b9", &["z7x8c"])],
    );
    s.rs_workload(
        "apps/v1",
        "Deployment",
        "checkout",
        "cart",
        &[("app", "cart"), ("lifecycle", "deprecated")],
        &[("kubectl-owner/sunset", "2025-06-30")],
        &[],
        &[("59c8d7b6f5", &["k2j4h"])],
    );
    s.rs_workload(
        "apps/v1",
        "Deployment",
        "checkout",
        "notifier",
        &[
            ("app", "notifier"),
            ("team", "checkout-old"),
            ("lifecycle", "production"),
        ],
        &[],
        &[],
        &[("7f6d5c4b3", &["p9o8i"])],
    );

    // search
    s.rs_workload(
        "apps/v1",
        "Deployment",
        "search",
        "indexer",
        &[("app", "indexer"), ("tier", "web")],
        &[],
        &[],
        &[("6d8f9b7c5", &["w3e4r"])],
    );
    s.cronjob("search", "reindex", &[("app", "reindex")], 30);
    s.job(
        "search",
        "reindex-29430000",
        &[("app", "reindex")],
        "reindex",
        Some("reindex"),
        "abcde",
        30,
    );

    // data
    s.rs_workload(
        "apps/v1",
        "Deployment",
        "data",
        "etl",
        &[("app", "etl"), ("owner", "data-eng")],
        &[("opslevel.com/lifecycle", "production")],
        &[],
        &[("7c9b8d6f5", &["r5t6y"])],
    );
    s.rs_workload(
        "apps/v1",
        "Deployment",
        "data",
        "reports",
        &[
            ("app", "reports"),
            ("team", "dta"),
            ("lifecycle", "production"),
        ],
        &[],
        &[],
        &[("5f4e3d2c1", &["u7i8o"])],
    );
    s.job(
        "data",
        "backfill",
        &[("app", "backfill")],
        "backfill",
        None,
        "h5j6k",
        30,
    );
    s.rs_workload(
        "argoproj.io/v1alpha1",
        "Rollout",
        "data",
        "recommender",
        &[
            ("app", "recommender"),
            ("team", "data"),
            ("lifecycle", "experimental"),
        ],
        &[],
        &[],
        &[("6b8d7c9f4", &["a1s2d"])],
    );

    // kube-system
    s.daemonset(
        "kube-system",
        "node-exporter",
        &[("app", "node-exporter")],
        &[(
            "kubectl-owner/exempt",
            "node agent managed by the platform add-on",
        )],
        "f7g8h",
        30,
    );
    s.pod(
        "kube-system",
        "kube-apiserver-node-1",
        map(&[("component", "kube-apiserver")]),
        Some(owner("v1", "Node", "", "node-1")),
        "kube-apiserver",
        "Running",
        2,
    );

    // default
    s.pod(
        "default",
        "debug-shell",
        json!({}),
        None,
        "shell",
        "Running",
        2,
    );
    let mut secret = object(
        "v1",
        "Secret",
        Meta {
            ns: "default",
            name: "db-password",
            labels: json!({}),
            annotations: json!({}),
            created: ago(start, 30),
            owner: None,
        },
        None,
        None,
    );
    secret["type"] = json!("Opaque");
    secret["data"] = json!({"password": "aHVudGVyMg=="});
    s.add(secret);

    // kube-public
    let mut cm = object(
        "v1",
        "ConfigMap",
        Meta {
            ns: "kube-public",
            name: "kubectl-owner",
            labels: json!({}),
            annotations: json!({}),
            created: ago(start, 30),
            owner: None,
        },
        None,
        None,
    );
    cm["data"] = json!({"config.yaml": REGISTRY});
    s.add(cm);
}

const TEAMS: &[&str] = &[
    "payments", "checkout", "search", "data", "platform", "identity", "growth", "ml",
];
const STAGES: &[&str] = &[
    "production",
    "production",
    "production",
    "experimental",
    "deprecated",
];

/// A large deterministic cluster (see [`ScaleParams`]).
pub(crate) fn scale(store: &mut Store, start: Timestamp, p: &ScaleParams) {
    if p.namespaces == 0 {
        return;
    }
    let mut s = Seeder { store, start };
    let days: Vec<String> = (0..400).map(|d| ago(start, d)).collect();
    let ns_names: Vec<String> = (0..p.namespaces).map(|i| format!("ns-{i:04}")).collect();
    for (i, ns) in ns_names.iter().enumerate() {
        let mut labels = json!({"kubernetes.io/metadata.name": ns});
        if i.is_multiple_of(3) {
            labels["team"] = json!(TEAMS[i % TEAMS.len()]);
            labels["lifecycle"] = json!("production");
        }
        let m = Meta {
            ns: "",
            name: ns,
            labels,
            annotations: json!({}),
            created: days[399 - i % 50].clone(),
            owner: None,
        };
        s.add(object(
            "v1",
            "Namespace",
            m,
            Some(json!({"finalizers": ["kubernetes"]})),
            Some(json!({"phase": "Active"})),
        ));
    }
    let d = p.deployments;
    for j in 0..d {
        let ns_idx = j * p.namespaces / d;
        let ns = ns_names[ns_idx].as_str();
        let name = format!("deploy-{j:05}");
        let hash = suffix(j as u64, 9);
        let mut labels = json!({"app": name});
        if !ns_idx.is_multiple_of(3) && !j.is_multiple_of(13) {
            labels["team"] = json!(TEAMS[(j / 7) % TEAMS.len()]);
        }
        let stage = STAGES[j % STAGES.len()];
        if !j.is_multiple_of(13) {
            labels["lifecycle"] = json!(stage);
        }
        let annotations = if stage == "deprecated" && j.is_multiple_of(2) {
            json!({"kubectl-owner/sunset": if j.is_multiple_of(4) { "2024-03-31" } else { "2099-12-31" }})
        } else {
            json!({})
        };
        let age = 3 + (j % 300);
        let lo = (j * p.pods).div_ceil(d);
        let hi = ((j + 1) * p.pods).div_ceil(d);
        let tmpl_labels = json!({"app": name});
        let spec = json!({
            "replicas": hi - lo,
            "selector": {"matchLabels": {"app": name}},
            "template": template(&tmpl_labels, "app"),
        });
        let m = Meta {
            ns,
            name: &name,
            labels,
            annotations,
            created: days[age].clone(),
            owner: None,
        };
        s.add(object(
            "apps/v1",
            "Deployment",
            m,
            Some(spec),
            Some(json!({"replicas": hi - lo})),
        ));
        let rs_name = format!("{name}-{hash}");
        let rs_labels = json!({"app": name, "pod-template-hash": hash});
        let m = Meta {
            ns,
            name: &rs_name,
            labels: rs_labels.clone(),
            annotations: json!({}),
            created: days[age].clone(),
            owner: Some(owner("apps/v1", "Deployment", ns, &name)),
        };
        let spec = json!({
            "replicas": hi - lo,
            "selector": {"matchLabels": {"app": name, "pod-template-hash": hash}},
            "template": template(&rs_labels, "app"),
        });
        s.add(object(
            "apps/v1",
            "ReplicaSet",
            m,
            Some(spec),
            Some(json!({"replicas": hi - lo})),
        ));
        for k in lo..hi {
            let pod = format!("{rs_name}-{}", suffix(k as u64, 5));
            let o = owner("apps/v1", "ReplicaSet", ns, &rs_name);
            let m = Meta {
                ns,
                name: &pod,
                labels: rs_labels.clone(),
                annotations: json!({}),
                created: days[1 + k % 3].clone(),
                owner: Some(o),
            };
            let spec = json!({"containers": [{"name": "app", "image": "registry.example/app:1.4.2"}], "nodeName": format!("node-{}", k % 50)});
            s.add(object(
                "v1",
                "Pod",
                m,
                Some(spec),
                Some(json!({"phase": "Running"})),
            ));
        }
    }
    for (i, ns) in ns_names.iter().enumerate() {
        let team = TEAMS[(i + 3) % TEAMS.len()];
        if i % 10 == 5 {
            s.statefulset(
                ns,
                "db",
                &[("app", "db"), ("team", team), ("lifecycle", "production")],
                2,
                90,
            );
        }
        if i.is_multiple_of(10) {
            s.daemonset(
                ns,
                "agent",
                &[("app", "agent")],
                &[],
                &suffix(i as u64, 5),
                90,
            );
        }
        if i % 20 == 10 {
            s.cronjob(ns, "nightly", &[("app", "nightly"), ("team", team)], 60);
            let job = format!("nightly-{}", 29_000_000 + i);
            s.job(
                ns,
                &job,
                &[("app", "nightly")],
                "nightly",
                Some("nightly"),
                &suffix(i as u64 + 7, 5),
                1,
            );
        }
    }
}
