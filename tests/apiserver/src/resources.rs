//! The resource types the emulator serves, and the discovery documents describing them.

use serde_json::{Value, json};

/// One served resource type (a plural name in a group/version).
#[derive(Debug)]
pub(crate) struct ResourceDef {
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub categories: &'static [&'static str],
}

impl ResourceDef {
    /// `v1` or `apps/v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `pods` or `deployments.apps`, as Kubernetes names a resource in messages.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// Whether the kind is Kubernetes' own rather than a CRD's.
    pub fn is_builtin(&self) -> bool {
        BUILTIN_GROUPS.contains(&self.group)
    }

    /// `Pod` or `Deployment.apps`, as Kubernetes names a kind in validation messages.
    pub fn qualified_kind(&self) -> String {
        if self.group.is_empty() {
            self.kind.to_string()
        } else {
            format!("{}.{}", self.kind, self.group)
        }
    }
}

macro_rules! res {
    ($g:expr, $v:expr, $plural:expr, $singular:expr, $kind:expr, $ns:expr, [$($short:expr),*], [$($cat:expr),*]) => {
        ResourceDef {
            group: $g,
            version: $v,
            plural: $plural,
            singular: $singular,
            kind: $kind,
            namespaced: $ns,
            short_names: &[$($short),*],
            categories: &[$($cat),*],
        }
    };
}

/// Every resource the server knows, in discovery order.
pub(crate) static RESOURCES: &[ResourceDef] = &[
    res!(
        "",
        "v1",
        "namespaces",
        "namespace",
        "Namespace",
        false,
        ["ns"],
        []
    ),
    res!("", "v1", "nodes", "node", "Node", false, ["no"], []),
    res!("", "v1", "pods", "pod", "Pod", true, ["po"], ["all"]),
    res!(
        "",
        "v1",
        "services",
        "service",
        "Service",
        true,
        ["svc"],
        ["all"]
    ),
    res!(
        "",
        "v1",
        "configmaps",
        "configmap",
        "ConfigMap",
        true,
        ["cm"],
        []
    ),
    res!("", "v1", "secrets", "secret", "Secret", true, [], []),
    res!(
        "",
        "v1",
        "replicationcontrollers",
        "replicationcontroller",
        "ReplicationController",
        true,
        ["rc"],
        ["all"]
    ),
    res!(
        "apps",
        "v1",
        "deployments",
        "deployment",
        "Deployment",
        true,
        ["deploy"],
        ["all"]
    ),
    res!(
        "apps",
        "v1",
        "replicasets",
        "replicaset",
        "ReplicaSet",
        true,
        ["rs"],
        ["all"]
    ),
    res!(
        "apps",
        "v1",
        "statefulsets",
        "statefulset",
        "StatefulSet",
        true,
        ["sts"],
        ["all"]
    ),
    res!(
        "apps",
        "v1",
        "daemonsets",
        "daemonset",
        "DaemonSet",
        true,
        ["ds"],
        ["all"]
    ),
    res!("batch", "v1", "jobs", "job", "Job", true, [], ["all"]),
    res!(
        "batch",
        "v1",
        "cronjobs",
        "cronjob",
        "CronJob",
        true,
        ["cj"],
        ["all"]
    ),
    res!(
        "discovery.k8s.io",
        "v1",
        "endpointslices",
        "endpointslice",
        "EndpointSlice",
        true,
        [],
        []
    ),
    res!(
        "networking.k8s.io",
        "v1",
        "ingresses",
        "ingress",
        "Ingress",
        true,
        ["ing"],
        []
    ),
    // RBAC objects (stored and served; authorization itself is the server's Grant model).
    res!(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        "clusterrolebinding",
        "ClusterRoleBinding",
        false,
        [],
        []
    ),
    res!(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterroles",
        "clusterrole",
        "ClusterRole",
        false,
        [],
        []
    ),
    res!(
        "rbac.authorization.k8s.io",
        "v1",
        "rolebindings",
        "rolebinding",
        "RoleBinding",
        true,
        [],
        []
    ),
    res!(
        "rbac.authorization.k8s.io",
        "v1",
        "roles",
        "role",
        "Role",
        true,
        [],
        []
    ),
    res!(
        "argoproj.io",
        "v1alpha1",
        "rollouts",
        "rollout",
        "Rollout",
        true,
        ["ro"],
        ["all"]
    ),
    // Argo CD's Application: a deployment of a Git source into a destination namespace.
    res!(
        "argoproj.io",
        "v1alpha1",
        "applications",
        "application",
        "Application",
        true,
        ["app", "apps"],
        ["argoproj"]
    ),
    // The Gateway API is an optional install (CRDs), like the operators' and GitOps tools' CRDs.
    res!(
        "gateway.networking.k8s.io",
        "v1",
        "httproutes",
        "httproute",
        "HTTPRoute",
        true,
        [],
        ["gateway-api"]
    ),
    // Flux's GitOps toolkit: a Kustomization applies a path of a source, a HelmRelease a chart.
    res!(
        "helm.toolkit.fluxcd.io",
        "v2",
        "helmreleases",
        "helmrelease",
        "HelmRelease",
        true,
        ["hr"],
        []
    ),
    res!(
        "kustomize.toolkit.fluxcd.io",
        "v1",
        "kustomizations",
        "kustomization",
        "Kustomization",
        true,
        ["ks"],
        []
    ),
    // An operator's kind no client knows: a RabbitmqCluster owns the StatefulSet of its pods.
    res!(
        "rabbitmq.com",
        "v1beta1",
        "rabbitmqclusters",
        "rabbitmqcluster",
        "RabbitmqCluster",
        true,
        ["rmq"],
        ["all", "rabbitmq"]
    ),
    // Admission policies (CEL), GA since Kubernetes 1.30.
    res!(
        "admissionregistration.k8s.io",
        "v1",
        "validatingadmissionpolicies",
        "validatingadmissionpolicy",
        "ValidatingAdmissionPolicy",
        false,
        [],
        ["api-extensions"]
    ),
    res!(
        "admissionregistration.k8s.io",
        "v1",
        "validatingadmissionpolicybindings",
        "validatingadmissionpolicybinding",
        "ValidatingAdmissionPolicyBinding",
        false,
        [],
        ["api-extensions"]
    ),
    // The Policy WG's reports, as Kyverno and Policy Reporter install them.
    res!(
        "wgpolicyk8s.io",
        "v1alpha2",
        "policyreports",
        "policyreport",
        "PolicyReport",
        true,
        ["polr"],
        []
    ),
    res!(
        "wgpolicyk8s.io",
        "v1alpha2",
        "clusterpolicyreports",
        "clusterpolicyreport",
        "ClusterPolicyReport",
        false,
        ["cpolr"],
        []
    ),
];

/// The groups of Kubernetes' own kinds; the others are CRDs'.
const BUILTIN_GROUPS: &[&str] = &[
    "",
    "apps",
    "batch",
    "discovery.k8s.io",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
];

/// The API groups (other than core), with their single served version: built-in groups first,
/// then the CRDs' groups, as kube-apiserver orders them.
pub(crate) static GROUPS: &[(&str, &str)] = &[
    ("apps", "v1"),
    ("batch", "v1"),
    ("discovery.k8s.io", "v1"),
    ("networking.k8s.io", "v1"),
    ("rbac.authorization.k8s.io", "v1"),
    ("admissionregistration.k8s.io", "v1"),
    ("argoproj.io", "v1alpha1"),
    ("gateway.networking.k8s.io", "v1"),
    ("helm.toolkit.fluxcd.io", "v2"),
    ("kustomize.toolkit.fluxcd.io", "v1"),
    ("rabbitmq.com", "v1beta1"),
    ("wgpolicyk8s.io", "v1alpha2"),
];

/// The resource served under `group`/`version` with this plural name.
pub(crate) fn by_plural(group: &str, version: &str, plural: &str) -> Option<&'static ResourceDef> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// The resource for an object's `apiVersion` and `kind`.
pub(crate) fn by_kind(api_version: &str, kind: &str) -> Option<&'static ResourceDef> {
    RESOURCES
        .iter()
        .find(|r| r.api_version() == api_version && r.kind == kind)
}

/// The resource with this plural name in any group.
pub(crate) fn by_plural_any(plural: &str) -> Option<&'static ResourceDef> {
    RESOURCES.iter().find(|r| r.plural == plural)
}

const VERBS: &[&str] = &["create", "delete", "get", "list", "patch", "update"];

/// `/api/v1` or `/apis/{group}/{version}`: an APIResourceList.
pub(crate) fn resource_list(group: &str, version: &str) -> Value {
    let resources: Vec<Value> = RESOURCES
        .iter()
        .filter(|r| r.group == group && r.version == version)
        .map(|r| {
            let mut v = json!({
                "name": r.plural,
                "singularName": r.singular,
                "namespaced": r.namespaced,
                "kind": r.kind,
                "verbs": VERBS,
            });
            if !r.short_names.is_empty() {
                v["shortNames"] = json!(r.short_names);
            }
            if !r.categories.is_empty() {
                v["categories"] = json!(r.categories);
            }
            v
        })
        .collect();
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": gv,
        "resources": resources,
    })
}

/// One entry of an APIGroupList (also the body of `/apis/{group}`).
pub(crate) fn api_group(group: &str, version: &str) -> Value {
    let gv = json!({"groupVersion": format!("{group}/{version}"), "version": version});
    json!({
        "name": group,
        "versions": [gv.clone()],
        "preferredVersion": gv,
    })
}
