//! The demo cluster and the scale cluster.
//!
//! Demo timestamps are fixed relative to server start (namespaces 120d, workloads and the
//! GitOps objects 30d, pods 2d) and uids are UUIDs derived from kind, namespace and name, so
//! output is stable.

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use crate::resources;
use crate::selector::{FieldSelector, LabelSelector};
use crate::store::{ListQuery, Store, default_uid, rfc3339, suffix};

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

/// Where a pod runs: its name, its node, and its IP (`None`: host network, the node's address).
type Placement = (&'static str, &'static str, Option<&'static str>);

struct Seeder<'a> {
    store: &'a mut Store,
    start: Timestamp,
    /// Images other than `registry.example/<container>:1.4.2`, by container name.
    images: &'static [(&'static str, &'static str)],
    /// Nodes by name, with their InternalIP.
    nodes: &'static [(&'static str, &'static str)],
    /// Pods placed on those nodes; other pods run on `node-1`, without an IP.
    placement: &'static [Placement],
}

impl Seeder<'_> {
    fn image(&self, container: &str) -> String {
        match self.images.iter().find(|(c, _)| *c == container) {
            Some((_, image)) => image.to_string(),
            None => format!("registry.example/{container}:1.4.2"),
        }
    }

    fn template(&self, labels: &Value, container: &str) -> Value {
        json!({
            "metadata": {"labels": labels},
            "spec": {"containers": [{"name": container, "image": self.image(container)}]},
        })
    }

    fn node_ip(&self, node: &str) -> Option<&'static str> {
        self.nodes
            .iter()
            .find(|(n, _)| *n == node)
            .map(|(_, ip)| *ip)
    }

    /// Records `manager` as the object's creator (its entry's time is the creationTimestamp), as
    /// kube-apiserver's managedFields would; its resourceVersion is kept.
    fn managed_by(&mut self, ns: &str, resource: &str, name: &str, manager: &str, operation: &str) {
        let def = resources::by_plural_any(resource).expect("a served resource");
        let mut v = self
            .store
            .get(def, ns, name)
            .unwrap_or_else(|| panic!("seeded {resource} {ns}/{name}"))
            .value();
        let api_version = v["apiVersion"].clone();
        let created = v["metadata"]["creationTimestamp"].clone();
        v["metadata"]["managedFields"] = json!([{
            "manager": manager,
            "operation": operation,
            "apiVersion": api_version,
            "time": created,
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:labels": {}}, "f:spec": {}},
        }]);
        self.store.put(def, &v);
    }

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
        let mut spec = json!({
            "containers": [{"name": container, "image": self.image(container)}],
            "nodeName": "node-1",
        });
        let mut status = json!({"phase": phase});
        if let Some(&(_, node, ip)) = self.placement.iter().find(|(p, ..)| *p == name) {
            let host_ip = self.node_ip(node);
            spec["nodeName"] = json!(node);
            if ip.is_none() {
                spec["hostNetwork"] = json!(true);
            }
            if let Some(ip) = ip.or(host_ip) {
                status["podIP"] = json!(ip);
                status["podIPs"] = json!([{"ip": ip}]);
            }
            if let Some(h) = host_ip {
                status["hostIP"] = json!(h);
                status["hostIPs"] = json!([{"ip": h}]);
            }
        }
        self.add(object("v1", "Pod", m, Some(spec), Some(status)));
    }

    /// A Node with its InternalIP and pod CIDR (`10.244.N.0/24` for the `N`th node).
    fn node(&mut self, name: &str, internal_ip: &str, index: usize) {
        let m = Meta {
            ns: "",
            name,
            labels: map(&[
                ("kubernetes.io/hostname", name),
                ("kubernetes.io/os", "linux"),
            ]),
            annotations: json!({}),
            created: ago(self.start, 120),
            owner: None,
        };
        self.add(object(
            "v1",
            "Node",
            m,
            Some(json!({"podCIDR": format!("10.244.{index}.0/24")})),
            Some(json!({
                "addresses": [
                    {"type": "InternalIP", "address": internal_ip},
                    {"type": "Hostname", "address": name},
                ],
                "conditions": [{"type": "Ready", "status": "True"}],
            })),
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
            "template": self.template(&tmpl_labels, name),
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
            Some(json!({
                "replicas": replicas,
                "updatedReplicas": replicas,
                "readyReplicas": replicas,
                "availableReplicas": replicas,
            })),
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
                "template": self.template(&rs_labels, name),
            });
            self.add(object(
                "apps/v1",
                "ReplicaSet",
                m,
                Some(spec),
                Some(json!({
                    "replicas": pods.len(),
                    "readyReplicas": pods.len(),
                    "availableReplicas": pods.len(),
                })),
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
            "template": self.template(&tmpl_labels, name),
        });
        self.add(object(
            "apps/v1",
            "StatefulSet",
            m,
            Some(spec),
            Some(json!({
                "replicas": replicas,
                "readyReplicas": replicas,
                "currentReplicas": replicas,
                "updatedReplicas": replicas,
                "availableReplicas": replicas,
            })),
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
            "template": self.template(&tmpl_labels, name),
        });
        self.add(object(
            "apps/v1",
            "DaemonSet",
            m,
            Some(spec),
            Some(json!({
                "desiredNumberScheduled": 1,
                "currentNumberScheduled": 1,
                "numberReady": 1,
                "updatedNumberScheduled": 1,
                "numberAvailable": 1,
            })),
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
        let mut t = self.template(&tmpl_labels, app);
        t["spec"]["restartPolicy"] = json!("Never");
        let spec = json!({"backoffLimit": 6, "completions": 1, "parallelism": 1, "template": t});
        // It ran for 95 s right after it was created.
        let started =
            Timestamp::from_second(self.start.as_second() - days * DAY).expect("in range");
        let finished = Timestamp::from_second(started.as_second() + 95).expect("in range");
        let status = json!({
            "startTime": rfc3339(started),
            "completionTime": rfc3339(finished),
            "succeeded": 1,
            "conditions": [{"type": "Complete", "status": "True"}],
        });
        self.add(object("batch/v1", "Job", m, Some(spec), Some(status)));
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

    /// A Service selecting pods by `selector`, with `cluster_ip` (`None`: headless) and one TCP
    /// port (name, port, target port), and the EndpointSlice `{name}-{slice_suffix}` listing the
    /// stored pods it selects, as the EndpointSlice controller writes it.
    fn service(
        &mut self,
        ns: &str,
        name: &str,
        selector: &[(&str, &str)],
        cluster_ip: &str,
        (port_name, port, target_port): (&str, u16, u16),
        slice_suffix: &str,
    ) {
        let m = Meta {
            ns,
            name,
            labels: json!({}),
            annotations: json!({}),
            created: ago(self.start, 30),
            owner: None,
        };
        let spec = json!({
            "type": "ClusterIP",
            "clusterIP": cluster_ip,
            "clusterIPs": [cluster_ip],
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "selector": map(selector),
            "ports": [{"name": port_name, "port": port, "targetPort": target_port, "protocol": "TCP"}],
        });
        let mut svc = object(
            "v1",
            "Service",
            m,
            Some(spec),
            Some(json!({"loadBalancer": {}})),
        );
        svc["metadata"]
            .as_object_mut()
            .expect("metadata")
            .remove("generation");
        self.add(svc);

        let text: Vec<String> = selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let labels = LabelSelector::parse(&text.join(",")).expect("selector parses");
        let fields = FieldSelector::default();
        let pods = resources::by_plural_any("pods").expect("pods resource");
        let endpoints: Vec<Value> = self
            .store
            .list(
                pods,
                ListQuery {
                    namespace: Some(ns),
                    labels: &labels,
                    fields: &fields,
                    limit: 0,
                    after: None,
                    offset: 0,
                },
            )
            .items
            .iter()
            .map(|e| {
                let pod = e.value();
                let ready = pod["status"]["phase"] == "Running";
                json!({
                    "addresses": [pod["status"]["podIP"]],
                    "conditions": {"ready": ready, "serving": ready, "terminating": false},
                    "nodeName": pod["spec"]["nodeName"],
                    "targetRef": {
                        "kind": "Pod",
                        "namespace": ns,
                        "name": pod["metadata"]["name"],
                        "uid": pod["metadata"]["uid"],
                    },
                })
            })
            .collect();
        let m = Meta {
            ns,
            name: &format!("{name}-{slice_suffix}"),
            labels: map(&[
                ("kubernetes.io/service-name", name),
                (
                    "endpointslice.kubernetes.io/managed-by",
                    "endpointslice-controller.k8s.io",
                ),
            ]),
            annotations: json!({}),
            created: ago(self.start, 2),
            owner: Some(owner("v1", "Service", ns, name)),
        };
        let mut slice = object("discovery.k8s.io/v1", "EndpointSlice", m, None, None);
        slice["addressType"] = json!("IPv4");
        slice["ports"] = json!([{"name": port_name, "port": target_port, "protocol": "TCP"}]);
        slice["endpoints"] = json!(endpoints);
        self.add(slice);
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
        let mut t = self.template(&tmpl_labels, name);
        t["spec"]["restartPolicy"] = json!("Never");
        let spec = json!({
            "schedule": "0 3 * * *",
            "concurrencyPolicy": "Forbid",
            "jobTemplate": {"spec": {"template": t}},
        });
        // Its one Job was scheduled when it was created.
        let last = ago(self.start, days);
        self.add(object(
            "batch/v1",
            "CronJob",
            m,
            Some(spec),
            Some(json!({"lastScheduleTime": last, "lastSuccessfulTime": last})),
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
    images: ["registry.example/data/*"]
    groups: [data-scientists]
    managers: [ci-data]
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

/// The demo's nodes and their InternalIPs: `node-1` runs the control plane.
const DEMO_NODES: &[(&str, &str)] = &[
    ("node-1", "10.0.0.10"),
    ("worker-1", "10.0.0.1"),
    ("worker-2", "10.0.0.2"),
    ("worker-3", "10.0.0.3"),
];

/// Every demo pod's node and IP, from its node's pod CIDR (`10.244.N.0/24` on `worker-N`); the
/// host network pods share `node-1`'s address.
const DEMO_PODS: &[Placement] = &[
    ("api-7d9f8c6b5-x2kq9", "worker-3", Some("10.244.3.17")),
    ("api-7d9f8c6b5-m4n7p", "worker-3", Some("10.244.3.18")),
    ("ledger-5b7c9d6f4-q8w2e", "worker-1", Some("10.244.1.5")),
    ("postgres-0", "worker-3", Some("10.244.3.20")),
    ("postgres-1", "worker-2", Some("10.244.2.21")),
    ("web-84d5f7c6b9-z7x8c", "worker-1", Some("10.244.1.6")),
    ("cart-59c8d7b6f5-k2j4h", "worker-2", Some("10.244.2.7")),
    ("notifier-7f6d5c4b3-p9o8i", "worker-2", Some("10.244.2.8")),
    ("indexer-6d8f9b7c5-w3e4r", "worker-1", Some("10.244.1.9")),
    ("reindex-29430000-abcde", "worker-2", Some("10.244.2.10")),
    ("etl-7c9b8d6f5-r5t6y", "worker-1", Some("10.244.1.11")),
    ("reports-5f4e3d2c1-u7i8o", "worker-2", Some("10.244.2.12")),
    ("backfill-h5j6k", "worker-1", Some("10.244.1.13")),
    (
        "recommender-6b8d7c9f4-a1s2d",
        "worker-2",
        Some("10.244.2.14"),
    ),
    ("node-exporter-f7g8h", "node-1", None),
    ("kube-apiserver-node-1", "node-1", None),
    ("debug-shell", "worker-1", Some("10.244.1.15")),
];

/// A digest-pinned image and one from another registry, so image prefixes tell workloads apart.
const DEMO_IMAGES: &[(&str, &str)] = &[
    (
        "ledger",
        "registry.example/payments/ledger@sha256:9c1f5e0b7a3d28e4c6b1a0f97d3e5c2b8a4f6e1d0c9b7a5e3f2d1c0b9a8e7f6d",
    ),
    ("node-exporter", "quay.io/prometheus/node-exporter:v1.8.2"),
    ("recs", "registry.example/data/recs:2.0.1"),
];

/// The fixed demo cluster.
pub(crate) fn demo(store: &mut Store, start: Timestamp) {
    let mut s = Seeder {
        store,
        start,
        images: DEMO_IMAGES,
        nodes: DEMO_NODES,
        placement: DEMO_PODS,
    };
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

    s.node("node-1", DEMO_NODES[0].1, 0);

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
            ("app.kubernetes.io/part-of", "billing"),
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
        // Argo CD's annotation tracking: `<app>:<group>/<kind>:<namespace>/<name>`.
        &[(
            "argocd.argoproj.io/tracking-id",
            "search:apps/Deployment:search/indexer",
        )],
        &[],
        &[("6d8f9b7c5", &["w3e4r"])],
    );
    // Applied by the Flux Kustomization flux-system/search-jobs, which labels what it applies.
    s.cronjob(
        "search",
        "reindex",
        &[
            ("app", "reindex"),
            ("kustomize.toolkit.fluxcd.io/name", "search-jobs"),
            ("kustomize.toolkit.fluxcd.io/namespace", "flux-system"),
        ],
        30,
    );
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

    // Added after the objects above so that their resourceVersions stay as they were.
    for (i, (name, ip)) in DEMO_NODES.iter().enumerate().skip(1) {
        s.node(name, ip, i);
    }

    // Traffic: the Services in front of the checkout web pods and the payments api pods, the
    // headless one of the postgres StatefulSet, and the routes from the outside to them.
    s.service(
        "checkout",
        "checkout",
        &[("app", "web")],
        "10.96.120.15",
        ("http", 80, 8080),
        "7xk2p",
    );
    s.service(
        "payments",
        "api",
        &[("app", "api")],
        "10.96.48.10",
        ("http", 80, 8080),
        "q9z4m",
    );
    s.service(
        "payments",
        "postgres",
        &[("app", "postgres")],
        "None",
        ("postgres", 5432, 5432),
        "h3v8c",
    );
    let backend = json!({"service": {"name": "checkout", "port": {"number": 80}}});
    let rule = |host: &str| json!({"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}});
    s.add(object(
        "networking.k8s.io/v1",
        "Ingress",
        Meta {
            ns: "checkout",
            name: "shop",
            labels: json!({}),
            annotations: json!({}),
            created: ago(start, 30),
            owner: None,
        },
        Some(json!({
            "ingressClassName": "nginx",
            "rules": [rule("shop.example.com"), rule("*.shop.example.com")],
        })),
        Some(json!({"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}]}})),
    ));
    s.add(object(
        "gateway.networking.k8s.io/v1",
        "HTTPRoute",
        Meta {
            ns: "payments",
            name: "api",
            labels: json!({}),
            annotations: json!({}),
            created: ago(start, 30),
            owner: None,
        },
        Some(json!({
            "parentRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "public", "namespace": "kube-system"}],
            "hostnames": ["api.payments.example.com"],
            "rules": [{
                "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                "backendRefs": [{"group": "", "kind": "Service", "name": "api", "port": 80, "weight": 1}],
            }],
        })),
        None,
    ));

    // GitOps: what deploys two of the unowned search workloads. Argo CD's Application
    // argocd/search syncs the Deployment search/indexer (its tracking-id names the app), Flux's
    // Kustomization flux-system/search-jobs applies the CronJob search/reindex (its labels name
    // the Kustomization). The two namespaces hold no workloads. Added last so that the objects
    // above keep their resourceVersions.
    s.namespace("argocd", &[], &[]);
    s.namespace("flux-system", &[], &[]);
    s.add(object(
        "argoproj.io/v1alpha1",
        "Application",
        Meta {
            ns: "argocd",
            name: "search",
            labels: map(&[("team", "data"), ("lifecycle", "production")]),
            annotations: json!({}),
            created: ago(start, 30),
            owner: None,
        },
        Some(json!({
            "project": "default",
            "source": {
                "repoURL": "https://git.example/search/deploy.git",
                "targetRevision": "main",
                "path": "indexer",
            },
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "search"},
            "syncPolicy": {"automated": {"prune": true, "selfHeal": true}},
        })),
        Some(json!({
            "sync": {"status": "Synced", "revision": "4f2a9c1e7b3d5a8f0c6e2b4d9a1f3c5e7b9d0a2c"},
            "health": {"status": "Healthy"},
        })),
    ));
    s.add(object(
        "kustomize.toolkit.fluxcd.io/v1",
        "Kustomization",
        Meta {
            ns: "flux-system",
            name: "search-jobs",
            labels: map(&[("team", "data")]),
            annotations: json!({}),
            created: ago(start, 30),
            owner: None,
        },
        Some(json!({
            "interval": "10m",
            "path": "./search/jobs",
            "prune": true,
            "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
            "targetNamespace": "search",
        })),
        Some(json!({
            "conditions": [{
                "type": "Ready",
                "status": "True",
                "reason": "ReconciliationSucceeded",
                "message": "Applied revision: main@sha1:8d3e1b7a5c9f2e4d6b0a8c1e3f5d7b9a2c4e6f80",
            }],
        })),
    ));

    // Adoption: unowned workloads with each kind of evidence `suggest` reads. In `shop` (no
    // team of its own) the Helm release storefront is checkout's; search-proxy belongs to it,
    // payment-widget is part of billing (payments/ledger's) while the namespace leans to
    // checkout, and recs runs an image data lists and was applied by data's CI. In `labs`,
    // data's people may edit. Added last so that the objects above keep their
    // resourceVersions.
    let helm = [
        ("meta.helm.sh/release-name", "storefront"),
        ("meta.helm.sh/release-namespace", "shop"),
    ];
    s.namespace("shop", &[], &[]);
    s.namespace("labs", &[], &[]);
    let no_pods: &[(&str, &[&str])] = &[];
    type Pairs<'a> = &'a [(&'a str, &'a str)];
    let workloads: [(&str, &str, Pairs, Pairs); 5] = [
        (
            "shop",
            "storefront",
            &[
                ("app", "storefront"),
                ("team", "checkout"),
                ("lifecycle", "production"),
                ("app.kubernetes.io/managed-by", "Helm"),
            ],
            &helm,
        ),
        (
            "shop",
            "search-proxy",
            &[
                ("app", "search-proxy"),
                ("app.kubernetes.io/managed-by", "Helm"),
            ],
            &helm,
        ),
        (
            "shop",
            "payment-widget",
            &[
                ("app", "payment-widget"),
                ("app.kubernetes.io/part-of", "billing"),
            ],
            &[],
        ),
        ("shop", "recs", &[("app", "recs")], &[]),
        ("labs", "notebook", &[("app", "notebook")], &[]),
    ];
    for (ns, name, labels, annotations) in workloads {
        s.rs_workload(
            "apps/v1",
            "Deployment",
            ns,
            name,
            labels,
            annotations,
            &[],
            no_pods,
        );
    }
    let mut binding = object(
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        Meta {
            ns: "labs",
            name: "notebook-editors",
            labels: json!({}),
            annotations: json!({}),
            created: ago(start, 30),
            owner: None,
        },
        None,
        None,
    );
    binding["roleRef"] =
        json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"});
    binding["subjects"] = json!([{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "data-scientists"}]);
    s.add(binding);
    // Who wrote each first, as kube-apiserver records it in managedFields.
    for (ns, resource, name, manager, operation) in [
        ("shop", "deployments", "storefront", "helm", "Update"),
        ("shop", "deployments", "search-proxy", "helm", "Update"),
        (
            "shop",
            "deployments",
            "payment-widget",
            "kubectl-client-side-apply",
            "Update",
        ),
        ("shop", "deployments", "recs", "ci-data", "Apply"),
        (
            "labs",
            "deployments",
            "notebook",
            "kubectl-create",
            "Update",
        ),
        ("default", "pods", "debug-shell", "kubectl-run", "Update"),
    ] {
        s.managed_by(ns, resource, name, manager, operation);
    }
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
    let mut s = Seeder {
        store,
        start,
        images: &[],
        nodes: &[],
        placement: &[],
    };
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
            "template": s.template(&tmpl_labels, "app"),
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
            "template": s.template(&rs_labels, "app"),
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
