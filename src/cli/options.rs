//! Plain options, converted once from the command line; the rest of the program never sees clap.

use std::path::PathBuf;
use std::time::Duration;

use crate::core::jsonpath::{CustomColumns, Template};
use crate::core::kinds::{ResourceArg, WhoTarget, WriteTargets};
use crate::core::selector::{FieldSelector, LabelSelector};

/// kubectl's connection flags, with kubectl's meanings.
#[derive(Debug, Clone, Default)]
pub struct ConnectionOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub cluster: Option<String>,
    pub user: Option<String>,
    pub namespace: Option<String>,
    pub server: Option<String>,
    pub token: Option<String>,
    pub certificate_authority: Option<PathBuf>,
    pub client_certificate: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    pub insecure_skip_tls_verify: bool,
    pub tls_server_name: Option<String>,
    /// `--disable-compression`: no `Accept-Encoding: gzip` (a kubeconfig cluster's
    /// `disable-compression: true` does the same).
    pub disable_compression: bool,
    pub impersonate: Option<String>,
    pub impersonate_groups: Vec<String>,
    /// `None` or zero: no timeout (kubectl's default).
    pub request_timeout: Option<Duration>,
    /// `--list-mode`: how lists are read.
    pub list_mode: ListMode,
    /// `--chunk-size`: objects per page of a paged list; 0 reads each list in one request.
    pub chunk_size: u32,
    /// `--aggregator`: the server is a multi-cluster engine (`None`: told by its URL's path).
    pub aggregator: Option<Aggregator>,
}

/// A multi-cluster engine that serves the Kubernetes list API over its member clusters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregator {
    /// Clusterpedia: `…/apis/clusterpedia.io/v1beta1/resources`.
    Clusterpedia,
    /// Karmada's search proxy: `…/apis/search.karmada.io/v1alpha1/proxying/karmada/proxy`.
    Karmada,
}

impl Aggregator {
    /// The engine a server URL's path names, if any.
    pub fn of_path(path: &str) -> Option<Aggregator> {
        let path = path.trim_end_matches('/');
        if path.ends_with("/apis/clusterpedia.io/v1beta1/resources") {
            Some(Aggregator::Clusterpedia)
        } else if path.ends_with("/apis/search.karmada.io/v1alpha1/proxying/karmada/proxy") {
            Some(Aggregator::Karmada)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Aggregator::Clusterpedia => "clusterpedia",
            Aggregator::Karmada => "karmada",
        }
    }

    /// The annotation that names an object's member cluster.
    pub fn cluster_annotation(self) -> &'static str {
        match self {
            Aggregator::Clusterpedia => "shadow.clusterpedia.io/cluster-name",
            Aggregator::Karmada => "resource.karmada.io/cached-from-cluster",
        }
    }
}

/// How a list is read (`--list-mode`); see README's "Big clusters" for which to pick.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ListMode {
    /// kubectl's: `limit` pages and continue tokens, no resourceVersion (a consistent read).
    #[default]
    Paged,
    /// `resourceVersion=0`: the API server's watch cache answers each list whole, at once.
    Cache,
    /// A metadata watch with `sendInitialEvents=true`, ended by the initial-events-end bookmark.
    Stream,
}

/// `--max-parallel`'s default: enough to hide a slow cluster behind the others, few enough that
/// a fleet's connections and memory stay bounded.
pub const DEFAULT_MAX_PARALLEL: u16 = 8;

#[derive(Debug, Clone, Default)]
pub struct GlobalOptions {
    pub connection: ConnectionOptions,
    /// Our config file (`--config`).
    pub config_path: Option<PathBuf>,
    /// `-v=N`: diagnostics on stderr.
    pub verbosity: u8,
    /// Several clusters at once (`ls`, `teams`, `check`).
    pub contexts: Contexts,
    /// `--max-parallel`: at most this many of those clusters at a time.
    pub max_parallel: usize,
    /// `--cluster-config=false`: the cluster's ConfigMap is not read (a CI job that pins its own
    /// policy in a local file).
    pub ignore_cluster_config: bool,
}

/// Which kubeconfig contexts a command reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Contexts {
    /// The one kubectl would use (`--context`, else the current context).
    #[default]
    Current,
    /// `--contexts a,b,c`
    Named(Vec<String>),
    /// `--all-contexts`
    All,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    Table,
    Wide,
    Json,
    Yaml,
    Name,
    /// RFC 4180, a header row and every column of `-o wide`: for spreadsheets.
    Csv,
    /// `-o jsonpath=…` / `jsonpath-file=…`: the template over the `-o json` document.
    JsonPath(Template),
    /// `-o custom-columns=…` / `custom-columns-file=…`: a table of the document's rows.
    CustomColumns(CustomColumns),
    /// `check -o junit`.
    Junit,
    /// `check -o markdown`.
    Markdown,
    /// `check -o policyreport`.
    PolicyReport,
    /// `check -o html`, `teams -o html`: one self-contained page.
    Html,
    /// `ls -o backstage`: catalog entities.
    Backstage,
}

/// Which namespaces a command looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// `-A`
    AllNamespaces,
    /// `-n NS`, or the context's namespace when `None`.
    Namespace(Option<String>),
}

#[derive(Debug, Clone)]
pub struct LsOptions {
    /// TYPE or TYPE/NAME arguments.
    pub targets: Vec<ResourceArg>,
    pub scope: Scope,
    pub label_selector: Option<LabelSelector>,
    pub field_selector: Option<FieldSelector>,
    pub team: Option<String>,
    pub stage: Option<String>,
    pub unowned: bool,
    pub output: Output,
    pub no_headers: bool,
    /// `-L KEY,…`: one more column per label key (the object's own label).
    pub label_columns: Vec<String>,
    pub sort_by: Option<LsColumn>,
}

/// A column of `ls`'s table, in table order (`-o wide` adds the last five).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LsColumn {
    Namespace,
    Kind,
    Name,
    Team,
    Stage,
    Age,
    TeamFrom,
    StageFrom,
    Chat,
    Runbook,
    Sunset,
}

impl LsColumn {
    pub const NARROW: [LsColumn; 6] = [
        LsColumn::Namespace,
        LsColumn::Kind,
        LsColumn::Name,
        LsColumn::Team,
        LsColumn::Stage,
        LsColumn::Age,
    ];
    pub const WIDE: [LsColumn; 5] = [
        LsColumn::TeamFrom,
        LsColumn::StageFrom,
        LsColumn::Chat,
        LsColumn::Runbook,
        LsColumn::Sunset,
    ];

    pub fn header(self) -> &'static str {
        match self {
            LsColumn::Namespace => "NAMESPACE",
            LsColumn::Kind => "KIND",
            LsColumn::Name => "NAME",
            LsColumn::Team => "TEAM",
            LsColumn::Stage => "STAGE",
            LsColumn::Age => "AGE",
            LsColumn::TeamFrom => "TEAM-FROM",
            LsColumn::StageFrom => "STAGE-FROM",
            LsColumn::Chat => "CHAT",
            LsColumn::Runbook => "RUNBOOK",
            LsColumn::Sunset => "SUNSET",
        }
    }

    /// Position in a row's cells (narrow columns first, then the wide ones).
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn is_wide(self) -> bool {
        self.index() >= LsColumn::NARROW.len()
    }
}

impl std::str::FromStr for LsColumn {
    type Err = String;

    /// A header name, any case, with kubectl's leading `.` tolerated (`--sort-by=.name`), or
    /// kubectl's JSONPath of the field a column shows (`.metadata.creationTimestamp`, `.team`,
    /// also in braces: `{.metadata.name}`).
    fn from_str(name: &str) -> Result<LsColumn, String> {
        let path = name.trim();
        let path = path
            .strip_prefix('{')
            .and_then(|p| p.strip_suffix('}'))
            .unwrap_or(path);
        let by_path = match path {
            ".metadata.name" => Some(LsColumn::Name),
            ".metadata.namespace" => Some(LsColumn::Namespace),
            ".metadata.creationTimestamp" => Some(LsColumn::Age),
            ".kind" => Some(LsColumn::Kind),
            ".team" | ".team.value" => Some(LsColumn::Team),
            ".stage" | ".stage.value" => Some(LsColumn::Stage),
            ".sunset" | ".sunset.value" => Some(LsColumn::Sunset),
            _ => None,
        };
        if let Some(column) = by_path {
            return Ok(column);
        }
        let wanted = path.trim_start_matches('.').to_uppercase();
        let all = || LsColumn::NARROW.into_iter().chain(LsColumn::WIDE);
        all().find(|c| c.header() == wanted).ok_or_else(|| {
            format!(
                "--sort-by: unknown column \"{name}\" (one of: {})",
                all().map(LsColumn::header).collect::<Vec<_>>().join(", ")
            )
        })
    }
}

/// `kubectl owner suggest`.
#[derive(Debug, Clone)]
pub struct SuggestOptions {
    /// TYPE arguments, as typed (default: the default rows).
    pub types: Vec<String>,
    pub scope: Scope,
    pub label_selector: Option<LabelSelector>,
    pub min_confidence: crate::core::suggest::Confidence,
    /// `Table`, `Wide`, `Json` or `Yaml`.
    pub output: Output,
    pub no_headers: bool,
}

/// `kubectl owner policy`.
#[derive(Debug, Clone)]
pub struct PolicyOptions {
    /// `--rules`; `None`: the config's enforceable error rules.
    pub rules: Option<Vec<crate::core::rules::RuleId>>,
    pub action: crate::core::admission::Action,
    /// `Yaml` (a stream of the two objects) or `Json` (a `List`).
    pub output: Output,
}

#[derive(Debug, Clone)]
pub struct WhoOptions {
    pub lookup: WhoLookup,
    pub output: Output,
}

/// What `who` answers for: one argument, or every alert of a payload.
#[derive(Debug, Clone)]
pub enum WhoLookup {
    Target(WhoTarget),
    /// `--alert`: the alerts of the payload.
    Alerts(Vec<crate::core::alert::Alert>),
}

#[derive(Debug, Clone)]
pub struct TeamsOptions {
    pub scope: Scope,
    pub output: Output,
    /// `--no-headers`: the rows only.
    pub no_headers: bool,
}

/// `completion SHELL`: which static script to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    PowerShell,
}

#[derive(Debug, Clone)]
pub struct CompletionOptions {
    pub shell: CompletionShell,
}

/// `check`: the policy report.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// TYPE arguments, as typed (default: the default rows).
    pub types: Vec<String>,
    pub scope: Scope,
    pub label_selector: Option<LabelSelector>,
    pub fail_on: crate::core::policy::FailOn,
    pub baseline: Option<PathBuf>,
    /// Partial data (RBAC) is checked instead of being an error.
    pub allow_partial: bool,
    pub group_by: crate::core::policy::GroupBy,
    pub output: Output,
    /// `--no-headers`: the rows only (no header row, no summary line).
    pub no_headers: bool,
}

/// `--dry-run`: kubectl's three strategies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DryRun {
    None,
    /// Plan and print; send no write.
    Client,
    /// Send the patches with `dryRun=All`: the server validates, nothing persists.
    Server,
}

pub use crate::core::plan::WriteFields;

/// `assign` / `unassign`.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    pub targets: WriteTargets,
    pub scope: Scope,
    pub label_selector: Option<LabelSelector>,
    pub fields: WriteFields,
    pub dry_run: DryRun,
    pub output: Output,
    /// `--no-headers`: the rows only.
    pub no_headers: bool,
}

/// The hidden subcommand kubectl's completion shim calls.
pub const COMPLETE_COMMAND: &str = "__complete";

#[derive(Debug, Clone)]
pub enum Command {
    Ls(LsOptions),
    Who(WhoOptions),
    Teams(TeamsOptions),
    Completion(CompletionOptions),
    Check(CheckOptions),
    Suggest(SuggestOptions),
    Policy(PolicyOptions),
    Assign(WriteOptions),
    Unassign(WriteOptions),
}

/// kubectl's `--request-timeout`: `0` (none), a bare number of seconds, or `1s`, `2m`, `1h`, `500ms`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = || {
        format!(
            "invalid argument \"{text}\" for \"--request-timeout\" flag: expected a duration such as 30s, 1m30s, 500ms or 0"
        )
    };
    let text = text.trim();
    // kubectl's bare number of seconds.
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    // Go's durations (`1m30s`, `1.5h`, `500ms`, `300us`), which jiff's friendly format reads;
    // ISO 8601 (`PT1M`) and spelled-out units are not kubectl's, so they are refused.
    if !text.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        || text.contains(|c: char| c.is_whitespace() || c == ',')
    {
        return Err(invalid());
    }
    let units_are_go = text
        .split(|c: char| c.is_ascii_digit() || c == '.')
        .filter(|unit| !unit.is_empty())
        .all(|unit| matches!(unit, "h" | "m" | "s" | "ms" | "us" | "µs" | "ns"));
    if !units_are_go {
        return Err(invalid());
    }
    let duration: jiff::SignedDuration = text.parse().map_err(|_| invalid())?;
    Duration::try_from(duration).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_like_kubectl() {
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        assert_eq!(parse_duration("5").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("1m").unwrap(), Duration::from_secs(60));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("2h").unwrap(), Duration::from_secs(7200));
        assert_eq!(parse_duration("1.5h").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("1h2m3s").unwrap(), Duration::from_secs(3723));
        assert_eq!(parse_duration("300us").unwrap(), Duration::from_micros(300));
        assert_eq!(parse_duration("0s").unwrap(), Duration::ZERO);
        for bad in ["soon", "5x", "-1s", "1 m", "PT1M", "1 minute", "1d", ""] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sort_columns_by_name_or_kubectl_jsonpath() {
        let column = |text: &str| text.parse::<LsColumn>();
        assert_eq!(column("age"), Ok(LsColumn::Age));
        assert_eq!(column(".name"), Ok(LsColumn::Name));
        assert_eq!(column(".metadata.creationTimestamp"), Ok(LsColumn::Age));
        assert_eq!(column("{.metadata.name}"), Ok(LsColumn::Name));
        assert_eq!(column(".metadata.namespace"), Ok(LsColumn::Namespace));
        assert_eq!(column(".team"), Ok(LsColumn::Team));
        assert_eq!(column(".stage.value"), Ok(LsColumn::Stage));
        assert_eq!(column("team-from"), Ok(LsColumn::TeamFrom));
        assert!(
            column(".metadata.labels.app")
                .unwrap_err()
                .starts_with("--sort-by: unknown column \".metadata.labels.app\"")
        );
    }
}
