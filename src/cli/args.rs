//! The command line (clap derive). Parsed once, then converted into `options`.

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

use std::str::FromStr;

use crate::core::contact::ContactKey;
use crate::core::jsonpath::{CustomColumns, Template};
use crate::core::kinds::{ResourceArg, WhoTarget, WriteTargets};
use crate::core::plan::RawWriteFields;
use crate::error::Error;

use crate::cli::options::{
    self, Command, GlobalOptions, LsOptions, Output, Scope, TeamsOptions, WhoLookup, WhoOptions,
};

#[derive(Debug, Parser)]
#[command(
    name = "kubectl-owner",
    bin_name = "kubectl owner",
    version,
    about = "List, assign and check the owners (teams) and lifecycle stages of Kubernetes workloads.",
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: CliCommand,
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// kubectl's connection flags, accepted after any subcommand.
#[derive(Debug, Args)]
#[command(next_help_heading = "Connection options (as kubectl)")]
pub struct GlobalArgs {
    /// Path to the kubeconfig file to use.
    #[arg(long, global = true, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// The name of the kubeconfig context to use.
    #[arg(long, global = true)]
    pub context: Option<String>,
    /// The name of the kubeconfig cluster to use.
    #[arg(long, global = true)]
    pub cluster: Option<String>,
    /// The name of the kubeconfig user to use.
    #[arg(long, global = true)]
    pub user: Option<String>,
    /// If present, the namespace scope for this request.
    #[arg(short = 'n', long, global = true)]
    pub namespace: Option<String>,
    /// The address and port of the Kubernetes API server.
    #[arg(short = 's', long, global = true)]
    pub server: Option<String>,
    /// Bearer token for authentication to the API server.
    #[arg(long, global = true)]
    pub token: Option<String>,
    /// Path to a cert file for the certificate authority.
    #[arg(long, global = true, value_name = "PATH")]
    pub certificate_authority: Option<PathBuf>,
    /// Path to a client certificate file for TLS.
    #[arg(long, global = true, value_name = "PATH")]
    pub client_certificate: Option<PathBuf>,
    /// Path to a client key file for TLS.
    #[arg(long, global = true, value_name = "PATH")]
    pub client_key: Option<PathBuf>,
    /// If true, the server's certificate will not be checked for validity (insecure).
    #[arg(long, global = true, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub insecure_skip_tls_verify: Option<bool>,
    /// Server name to use for server certificate validation.
    #[arg(long, global = true)]
    pub tls_server_name: Option<String>,
    /// If true, opt-out of response compression for all requests to the server.
    #[arg(long, global = true, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub disable_compression: Option<bool>,
    /// Username to impersonate for the operation.
    #[arg(long = "as", global = true, value_name = "USER")]
    pub as_user: Option<String>,
    /// Group to impersonate for the operation (repeatable).
    #[arg(long = "as-group", global = true, value_name = "GROUP")]
    pub as_group: Vec<String>,
    /// How long to wait for each server request (e.g. 1s, 2m; 0 = no timeout).
    #[arg(long, global = true, value_name = "DURATION")]
    pub request_timeout: Option<String>,
    /// Diagnostics verbosity on stderr (kubectl's -v/--v).
    #[arg(short = 'v', long = "v", global = true, value_name = "LEVEL")]
    pub verbosity: Option<u8>,
    /// kubectl-owner config file (keys, stages, rules, team registry).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Apply the cluster's config (ConfigMap kube-public/kubectl-owner) under the local file.
    #[arg(long, global = true, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_name = "BOOL")]
    pub cluster_config: Option<bool>,
    /// Query these kubeconfig contexts concurrently (ls, teams, check): --contexts a,b,c.
    #[arg(
        long,
        global = true,
        value_delimiter = ',',
        value_name = "NAMES",
        conflicts_with = "context"
    )]
    pub contexts: Vec<String>,
    /// Query every kubeconfig context concurrently (ls, teams, check).
    #[arg(long, global = true, conflicts_with_all = ["context", "contexts"])]
    pub all_contexts: bool,
    /// How lists are read: paged (kubectl's), cache (resourceVersion=0, whole from the API
    /// server's watch cache), stream (a watch-list ended by a bookmark; paged where the server has
    /// it off).
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "paged",
        value_name = "MODE"
    )]
    pub list_mode: ListModeArg,
    /// Objects per page of a paged list, as kubectl's --chunk-size (0: one request per list).
    #[arg(long, global = true, value_name = "N", default_value_t = 500)]
    pub chunk_size: u32,
    /// The server is a multi-cluster engine's endpoint (default: told by the server URL's path).
    #[arg(long, global = true, value_enum, value_name = "ENGINE")]
    pub aggregator: Option<AggregatorArg>,
    /// With --contexts or --all-contexts: how many clusters are queried at once.
    #[arg(long, global = true, value_name = "N", default_value_t = options::DEFAULT_MAX_PARALLEL,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub max_parallel: u16,
}

#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// List workloads with their effective team and stage.
    #[command(visible_alias = "list")]
    Ls(LsArgs),
    /// Show who owns an object: its controller chain, team, stage, contacts, and where each came from.
    Who(WhoArgs),
    /// Summarise ownership per team: workloads by stage, namespaces, contacts, coverage.
    Teams(TeamsArgs),
    /// Check ownership policy: every workload owned, in a valid stage, not past its sunset.
    /// Exit 0 compliant, 1 findings at or above --fail-on, 2 could not check.
    Check(CheckArgs),
    /// Set team, stage, sunset date or contacts on workloads or namespaces (only those keys change).
    Assign(AssignArgs),
    /// Remove team, stage, sunset date or contacts from workloads or namespaces.
    Unassign(UnassignArgs),
    /// Suggest owners for unowned workloads, from the evidence already in the cluster.
    Suggest(SuggestArgs),
    /// Print a ValidatingAdmissionPolicy and its binding that refuse at admission what check reports.
    Policy(PolicyArgs),
    /// Print a shell completion script for kubectl-owner (bash, zsh, fish, powershell).
    Completion(CompletionArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ListOutput {
    Table,
    Wide,
    Json,
    Yaml,
    Name,
    Csv,
    // Backstage catalog entities (YAML), one Component per owned top-level workload.
    Backstage,
}

/// `teams`: a table, its CSV, the document, or a self-contained HTML page.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReportOutput {
    Table,
    Json,
    Yaml,
    Csv,
    Html,
}

/// `check`: as `teams`, plus the report forms CI systems and policy dashboards read.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CheckOutput {
    Table,
    Json,
    Yaml,
    Csv,
    // JUnit XML: one test suite per team, one test case per checked object.
    Junit,
    // A Markdown summary for a pull request or `$GITHUB_STEP_SUMMARY`.
    Markdown,
    // wgpolicyk8s.io/v1alpha2 PolicyReports (per namespace) and a ClusterPolicyReport.
    Policyreport,
    Html,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DocOutput {
    Table,
    Json,
    Yaml,
}

/// `-o`: one of the command's own formats, or one of kubectl's template forms.
#[derive(Debug, Clone)]
pub enum OutputArg<E> {
    Plain(E),
    JsonPath(String),
    JsonPathFile(PathBuf),
    CustomColumns(String),
    CustomColumnsFile(PathBuf),
}

/// kubectl's `-o` forms that carry a template or a file, by prefix.
const TEMPLATE_FORMS: [&str; 4] = [
    "custom-columns=",
    "custom-columns-file=",
    "jsonpath=",
    "jsonpath-file=",
];

/// Parses `-o`: the template forms by prefix, anything else as the command's own formats (with
/// clap's error and list of values when it is neither).
#[derive(Clone)]
pub struct OutputParser<E>(std::marker::PhantomData<E>);

impl<E> OutputParser<E> {
    pub fn new() -> Self {
        OutputParser(std::marker::PhantomData)
    }
}

impl<E: ValueEnum + Clone + Send + Sync + 'static> clap::builder::TypedValueParser
    for OutputParser<E>
{
    type Value = OutputArg<E>;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<OutputArg<E>, clap::Error> {
        if let Some(text) = value.to_str() {
            // kubectl's words for a template form without its template.
            let missing = match text {
                "jsonpath" | "jsonpath-file" => {
                    Some("template format specified but no template given")
                }
                "custom-columns" | "custom-columns-file" => {
                    Some("custom-columns format specified but no custom columns given")
                }
                _ => None,
            };
            if let Some(message) = missing {
                return Err(cmd
                    .clone()
                    .error(clap::error::ErrorKind::InvalidValue, message));
            }
            let form = TEMPLATE_FORMS
                .iter()
                .find_map(|prefix| text.strip_prefix(prefix).map(|rest| (*prefix, rest)));
            match form {
                Some(("custom-columns=", spec)) => {
                    return Ok(OutputArg::CustomColumns(spec.to_string()));
                }
                Some(("custom-columns-file=", path)) => {
                    return Ok(OutputArg::CustomColumnsFile(path.into()));
                }
                Some(("jsonpath=", template)) => {
                    return Ok(OutputArg::JsonPath(template.to_string()));
                }
                Some((_, path)) => return Ok(OutputArg::JsonPathFile(path.into())),
                None => {}
            }
        }
        clap::builder::EnumValueParser::<E>::new()
            .parse_ref(cmd, arg, value)
            .map(OutputArg::Plain)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        let plain = E::value_variants()
            .iter()
            .filter_map(ValueEnum::to_possible_value);
        let forms = TEMPLATE_FORMS
            .iter()
            .map(|form| clap::builder::PossibleValue::new(*form));
        Some(Box::new(plain.chain(forms)))
    }
}

impl<E: Into<Output>> OutputArg<E> {
    /// The typed output: templates parsed and files read now, so a bad one fails before any
    /// request, with kubectl's one-line error.
    fn parse(self) -> Result<Output, Error> {
        let read = |path: &PathBuf| {
            std::fs::read_to_string(path)
                .map_err(|e| Error::output(format!("reading {}: {e}", path.display())))
        };
        // kubectl's one-line template errors: no usage hint after them.
        let syntax = |message: String| Error::output(message);
        Ok(match self {
            OutputArg::Plain(format) => format.into(),
            OutputArg::JsonPath(text) => Output::JsonPath(Template::parse(&text).map_err(syntax)?),
            OutputArg::JsonPathFile(path) => {
                Output::JsonPath(Template::parse(&read(&path)?).map_err(syntax)?)
            }
            OutputArg::CustomColumns(spec) => {
                Output::CustomColumns(CustomColumns::parse(&spec).map_err(syntax)?)
            }
            OutputArg::CustomColumnsFile(path) => {
                Output::CustomColumns(CustomColumns::parse_file(&read(&path)?).map_err(syntax)?)
            }
        })
    }
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// TYPE or TYPE/NAME (deploy, sts, ds, rs, job, cj, po, ns, rollout, …); default: every workload.
    #[arg(value_name = "TYPE[/NAME]")]
    pub targets: Vec<String>,
    /// List across all namespaces.
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// Label selector, sent to the server (e.g. -l 'tier=web,env in (prod)').
    #[arg(short = 'l', long = "selector")]
    pub selector: Option<String>,
    /// Field selector, sent to the server (e.g. metadata.name=api).
    #[arg(long)]
    pub field_selector: Option<String>,
    /// Only rows whose effective (possibly inherited) team is T.
    #[arg(long, value_name = "T")]
    pub team: Option<String>,
    /// Only rows whose effective stage is S.
    #[arg(long, value_name = "S")]
    pub stage: Option<String>,
    /// Only rows that no team owns.
    #[arg(long)]
    pub unowned: bool,
    /// Output format.
    #[arg(short = 'o', long, default_value = "table", value_parser = OutputParser::<ListOutput>::new())]
    pub output: OutputArg<ListOutput>,
    /// Don't print headers.
    #[arg(long)]
    pub no_headers: bool,
    /// One more column per label key, with the object's own value of that label (-L app,tier).
    #[arg(
        short = 'L',
        long = "label-columns",
        value_delimiter = ',',
        value_name = "KEY"
    )]
    pub label_columns: Vec<String>,
    /// Sort rows by a column (NAMESPACE, KIND, NAME, TEAM, STAGE, AGE, …) or kubectl's JSONPath of
    /// its field (.metadata.name, .metadata.namespace, .metadata.creationTimestamp, .team, .stage).
    #[arg(long, value_name = "COLUMN")]
    pub sort_by: Option<String>,
}

#[derive(Debug, Args)]
pub struct WhoArgs {
    /// POD, TYPE/NAME or TYPE NAME; or what an alert shows: an IP address (ip/ADDRESS),
    /// node/NAME, svc/NAME, image/REFERENCE (or a PREFIX* or sha256:DIGEST), host/NAME (or a
    /// URL).
    #[arg(required_unless_present = "alert", num_args = 1..=2, value_name = "POD | TYPE/NAME | TYPE NAME | IP | node/NAME | svc/NAME | image/REF | host/NAME")]
    pub target: Vec<String>,
    /// Alertmanager's webhook JSON (or alerts as its API lists them, or one alert's labels)
    /// from FILE, or stdin with -: the owners of what each alert's labels name.
    #[arg(long, value_name = "FILE", conflicts_with = "target")]
    pub alert: Option<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long, default_value = "table", value_parser = OutputParser::<DocOutput>::new())]
    pub output: OutputArg<DocOutput>,
}

#[derive(Debug, Args)]
pub struct TeamsArgs {
    /// Summarise across all namespaces.
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// Output format.
    #[arg(short = 'o', long, default_value = "table", value_parser = OutputParser::<ReportOutput>::new())]
    pub output: OutputArg<ReportOutput>,
    /// Don't print headers (nor the summary line after the table).
    #[arg(long)]
    pub no_headers: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CompletionShellArg {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell to print the script for.
    #[arg(value_enum)]
    pub shell: CompletionShellArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FailOnArg {
    Error,
    Warning,
    Never,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GroupByArg {
    Team,
    Namespace,
    Rule,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AggregatorArg {
    Clusterpedia,
    Karmada,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ListModeArg {
    Paged,
    Cache,
    Stream,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ConfidenceArg {
    Low,
    Medium,
    High,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SuggestOutput {
    Table,
    Wide,
    Json,
    Yaml,
}

#[derive(Debug, Args)]
pub struct SuggestArgs {
    /// TYPE (deploy, sts, ds, rs, job, cj, po, rollout, …); default: every workload.
    #[arg(value_name = "TYPE")]
    pub types: Vec<String>,
    /// Across all namespaces.
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// Label selector, sent to the server (e.g. -l 'tier=web').
    #[arg(short = 'l', long = "selector")]
    pub selector: Option<String>,
    /// Only candidates at least this sure.
    #[arg(long, value_enum, default_value = "low", value_name = "LEVEL")]
    pub min_confidence: ConfidenceArg,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    pub output: SuggestOutput,
    /// Don't print headers.
    #[arg(long)]
    pub no_headers: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PolicyActionArg {
    Deny,
    Warn,
    Audit,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PolicyOutput {
    Yaml,
    Json,
}

#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// The check rules to enforce, comma-separated (default: the enforceable rules the config
    /// makes errors).
    #[arg(long, value_name = "RULES")]
    pub rules: Option<String>,
    /// What the binding does with an object that breaks a rule: warn (start here), audit, deny.
    #[arg(long, value_enum, default_value = "warn")]
    pub action: PolicyActionArg,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "yaml")]
    pub output: PolicyOutput,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// TYPE (deploy, sts, ds, rs, job, cj, po, ns, rollout, …); default: every workload.
    #[arg(value_name = "TYPE")]
    pub types: Vec<String>,
    /// Check across all namespaces.
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// Label selector, sent to the server (e.g. -l 'tier=web').
    #[arg(short = 'l', long = "selector")]
    pub selector: Option<String>,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value = "error", value_name = "SEVERITY")]
    pub fail_on: FailOnArg,
    /// An earlier `check -o json`: only findings not in it are shown and counted.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Order the rows by team, namespace or rule.
    #[arg(long, value_enum, default_value = "team")]
    pub group_by: GroupByArg,
    /// When RBAC hides some namespaces or kinds, check what is readable instead of exiting 2.
    #[arg(long)]
    pub allow_partial: bool,
    /// Output format.
    #[arg(short = 'o', long, default_value = "table", value_parser = OutputParser::<CheckOutput>::new())]
    pub output: OutputArg<CheckOutput>,
    /// Don't print headers (nor the summary line after the table).
    #[arg(long)]
    pub no_headers: bool,
}

/// The objects `assign` / `unassign` write, and how.
#[derive(Debug, Args)]
pub struct WriteTargetArgs {
    /// With -l or --all: across all namespaces.
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// Every object of TYPE matching this label selector (e.g. -l tier=web).
    #[arg(short = 'l', long = "selector")]
    pub selector: Option<String>,
    /// Every object of TYPE (in the namespace, or with -A everywhere).
    #[arg(long)]
    pub all: bool,
    /// none: write; client: only print the plan; server: the server validates, nothing persists.
    #[arg(long, value_enum, default_value = "none", num_args = 0..=1, require_equals = true,
          default_missing_value = "client", value_name = "STRATEGY")]
    pub dry_run: DryRunArg,
    /// Output format.
    #[arg(short = 'o', long, default_value = "table", value_parser = OutputParser::<WriteOutput>::new())]
    pub output: OutputArg<WriteOutput>,
    /// Don't print headers.
    #[arg(long)]
    pub no_headers: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DryRunArg {
    None,
    Client,
    Server,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum WriteOutput {
    Table,
    Json,
    Name,
}

#[derive(Debug, Args)]
pub struct AssignArgs {
    /// TYPE/NAME... (e.g. deploy/api ns/search), TYPE NAME..., or TYPE with -l or --all.
    #[arg(required_unless_present = "from", value_name = "TYPE/NAME | TYPE")]
    pub targets: Vec<String>,
    #[command(flatten)]
    pub target: WriteTargetArgs,
    /// Write the teams `suggest -o json|yaml` proposed (FILE, or - for stdin), to the objects
    /// still unowned and still the same (uid) when written.
    #[arg(long, short = 'f', visible_alias = "filename", value_name = "FILE", conflicts_with_all = [
        "targets", "team", "stage", "sunset", "contacts", "overwrite", "selector", "all", "all_namespaces",
    ])]
    pub from: Option<PathBuf>,
    /// With --from: only suggestions at least this sure (a namespace's majority alone is low).
    #[arg(
        long,
        value_enum,
        default_value = "medium",
        value_name = "LEVEL",
        requires = "from"
    )]
    pub min_confidence: ConfidenceArg,
    /// Team (label; an alias in the team registry is written as its canonical name).
    #[arg(long, value_name = "T")]
    pub team: Option<String>,
    /// Lifecycle stage (label), one of the configured stages.
    #[arg(long, value_name = "S")]
    pub stage: Option<String>,
    /// Sunset date YYYY-MM-DD (annotation).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub sunset: Option<String>,
    #[arg(long = "contact", value_name = "KEY=VALUE", help = format!(
        "Contact annotation, KEY one of {}", ContactKey::list()
    ))]
    pub contacts: Vec<String>,
    /// Replace existing different values (otherwise such objects are skipped, as kubectl label does).
    #[arg(long)]
    pub overwrite: bool,
    /// Write a team that the team registry doesn't know.
    #[arg(long)]
    pub allow_unknown_team: bool,
}

#[derive(Debug, Args)]
pub struct UnassignArgs {
    /// TYPE/NAME... (e.g. deploy/api ns/search), TYPE NAME..., or TYPE with -l or --all.
    #[arg(required = true, value_name = "TYPE/NAME | TYPE")]
    pub targets: Vec<String>,
    #[command(flatten)]
    pub target: WriteTargetArgs,
    /// Remove the team label.
    #[arg(long)]
    pub team: bool,
    /// Remove the stage label.
    #[arg(long)]
    pub stage: bool,
    /// Remove the sunset annotation.
    #[arg(long)]
    pub sunset: bool,
    #[arg(long = "contact", value_name = "KEY", help = format!(
        "Remove one contact annotation ({})", ContactKey::list()
    ))]
    pub contacts: Vec<String>,
    /// Remove every contact annotation.
    #[arg(long = "contacts")]
    pub all_contacts: bool,
}

fn write_options(
    targets: WriteTargets,
    t: WriteTargetArgs,
    fields: options::WriteFields,
    namespace: &Option<String>,
) -> Result<options::WriteOptions, Error> {
    let label_selector = parse_opt(t.selector).map_err(Error::usage)?;
    Ok(options::WriteOptions {
        targets,
        scope: scope(t.all_namespaces, namespace),
        label_selector,
        fields,
        dry_run: match t.dry_run {
            DryRunArg::None => options::DryRun::None,
            DryRunArg::Client => options::DryRun::Client,
            DryRunArg::Server => options::DryRun::Server,
        },
        output: t.output.parse()?,
        no_headers: t.no_headers,
    })
}

/// `check`'s and `suggest`'s TYPE arguments: types only (`command` names the one that got them).
fn check_types(args: Vec<String>, command: &str) -> Result<Vec<String>, String> {
    match args.iter().find(|arg| arg.contains('/')) {
        Some(arg) => Err(format!(
            "{command} takes resource types, not names: \"{arg}\" (use -l to narrow the objects {command}ed)"
        )),
        None => Ok(args),
    }
}

/// Parses an optional typed value, keeping its own error message.
fn parse_opt<T: FromStr<Err = String>>(text: Option<String>) -> Result<Option<T>, String> {
    text.as_deref().map(str::parse).transpose()
}

fn scope(all_namespaces: bool, namespace: &Option<String>) -> Scope {
    if all_namespaces {
        Scope::AllNamespaces
    } else {
        Scope::Namespace(namespace.clone())
    }
}

impl From<ListOutput> for Output {
    fn from(o: ListOutput) -> Output {
        match o {
            ListOutput::Table => Output::Table,
            ListOutput::Wide => Output::Wide,
            ListOutput::Json => Output::Json,
            ListOutput::Yaml => Output::Yaml,
            ListOutput::Name => Output::Name,
            ListOutput::Csv => Output::Csv,
            ListOutput::Backstage => Output::Backstage,
        }
    }
}

impl From<WriteOutput> for Output {
    fn from(o: WriteOutput) -> Output {
        match o {
            WriteOutput::Table => Output::Table,
            WriteOutput::Json => Output::Json,
            WriteOutput::Name => Output::Name,
        }
    }
}

impl From<ReportOutput> for Output {
    fn from(o: ReportOutput) -> Output {
        match o {
            ReportOutput::Table => Output::Table,
            ReportOutput::Json => Output::Json,
            ReportOutput::Yaml => Output::Yaml,
            ReportOutput::Csv => Output::Csv,
            ReportOutput::Html => Output::Html,
        }
    }
}

impl From<CheckOutput> for Output {
    fn from(o: CheckOutput) -> Output {
        match o {
            CheckOutput::Table => Output::Table,
            CheckOutput::Json => Output::Json,
            CheckOutput::Yaml => Output::Yaml,
            CheckOutput::Csv => Output::Csv,
            CheckOutput::Junit => Output::Junit,
            CheckOutput::Markdown => Output::Markdown,
            CheckOutput::Policyreport => Output::PolicyReport,
            CheckOutput::Html => Output::Html,
        }
    }
}

impl From<DocOutput> for Output {
    fn from(o: DocOutput) -> Output {
        match o {
            DocOutput::Table => Output::Table,
            DocOutput::Json => Output::Json,
            DocOutput::Yaml => Output::Yaml,
        }
    }
}

impl Cli {
    /// The one conversion from clap types into plain options.
    pub fn into_options(self) -> Result<(GlobalOptions, Command), Error> {
        let g = self.global;
        let request_timeout = g
            .request_timeout
            .as_deref()
            .map(options::parse_duration)
            .transpose()
            .map_err(Error::usage)?;
        let connection = options::ConnectionOptions {
            kubeconfig: g.kubeconfig,
            context: g.context,
            cluster: g.cluster,
            user: g.user,
            namespace: g.namespace.clone(),
            server: g.server,
            token: g.token,
            certificate_authority: g.certificate_authority,
            client_certificate: g.client_certificate,
            client_key: g.client_key,
            insecure_skip_tls_verify: g.insecure_skip_tls_verify.unwrap_or(false),
            tls_server_name: g.tls_server_name,
            disable_compression: g.disable_compression.unwrap_or(false),
            impersonate: g.as_user,
            impersonate_groups: g.as_group,
            request_timeout,
            list_mode: match g.list_mode {
                ListModeArg::Paged => options::ListMode::Paged,
                ListModeArg::Cache => options::ListMode::Cache,
                ListModeArg::Stream => options::ListMode::Stream,
            },
            chunk_size: g.chunk_size,
            aggregator: g.aggregator.map(|a| match a {
                AggregatorArg::Clusterpedia => options::Aggregator::Clusterpedia,
                AggregatorArg::Karmada => options::Aggregator::Karmada,
            }),
        };
        let contexts = if g.all_contexts {
            options::Contexts::All
        } else if !g.contexts.is_empty() {
            let names: Vec<String> = g.contexts.into_iter().filter(|c| !c.is_empty()).collect();
            if names.is_empty() {
                return Err(Error::usage("--contexts needs at least one context name"));
            }
            options::Contexts::Named(names)
        } else {
            options::Contexts::Current
        };
        let fans_out = matches!(
            self.command,
            CliCommand::Ls(_) | CliCommand::Teams(_) | CliCommand::Check(_)
        );
        if contexts != options::Contexts::Current && !fans_out {
            return Err(Error::usage(
                "--contexts and --all-contexts apply to ls, teams and check only",
            ));
        }
        let global = GlobalOptions {
            connection,
            config_path: g.config,
            verbosity: g.verbosity.unwrap_or(0),
            contexts,
            max_parallel: usize::from(g.max_parallel),
            ignore_cluster_config: g.cluster_config == Some(false),
        };
        let command = match self.command {
            CliCommand::Ls(a) => {
                // kubectl's order: selectors, then the arguments, then the output flags.
                let label_selector = parse_opt(a.selector).map_err(Error::usage)?;
                let field_selector = parse_opt(a.field_selector).map_err(Error::usage)?;
                // `deploy,rs` names two types, as kubectl reads it.
                let targets = a
                    .targets
                    .iter()
                    .flat_map(|arg| match arg.contains('/') {
                        true => vec![arg.as_str()],
                        false => arg.split(',').collect(),
                    })
                    .map(str::parse)
                    .collect::<Result<Vec<ResourceArg>, String>>()
                    .map_err(Error::usage)?;
                if a.all_namespaces && targets.iter().any(ResourceArg::names_namespaced_object) {
                    return Err(Error::usage(
                        "a resource cannot be retrieved by name across all namespaces",
                    ));
                }
                Command::Ls(LsOptions {
                    targets,
                    scope: scope(a.all_namespaces, &g.namespace),
                    label_selector,
                    field_selector,
                    team: a.team,
                    stage: a.stage,
                    unowned: a.unowned,
                    output: a.output.parse()?,
                    no_headers: a.no_headers,
                    label_columns: a
                        .label_columns
                        .into_iter()
                        .filter(|k| !k.is_empty())
                        .collect(),
                    sort_by: parse_opt(a.sort_by).map_err(Error::usage)?,
                })
            }
            CliCommand::Who(a) => Command::Who(WhoOptions {
                lookup: match a.alert {
                    Some(path) => read_alerts(&path)?,
                    None => WhoLookup::Target(WhoTarget::parse(&a.target).map_err(Error::usage)?),
                },
                output: a.output.parse()?,
            }),
            CliCommand::Teams(a) => Command::Teams(TeamsOptions {
                scope: scope(a.all_namespaces, &g.namespace),
                output: a.output.parse()?,
                no_headers: a.no_headers,
            }),
            CliCommand::Completion(a) => Command::Completion(options::CompletionOptions {
                shell: match a.shell {
                    CompletionShellArg::Bash => options::CompletionShell::Bash,
                    CompletionShellArg::Zsh => options::CompletionShell::Zsh,
                    CompletionShellArg::Fish => options::CompletionShell::Fish,
                    CompletionShellArg::Powershell => options::CompletionShell::PowerShell,
                },
            }),
            CliCommand::Suggest(a) => Command::Suggest(options::SuggestOptions {
                types: check_types(a.types, "suggest").map_err(Error::usage)?,
                scope: scope(a.all_namespaces, &g.namespace),
                label_selector: parse_opt(a.selector).map_err(Error::usage)?,
                min_confidence: confidence(a.min_confidence),
                output: match a.output {
                    SuggestOutput::Table => Output::Table,
                    SuggestOutput::Wide => Output::Wide,
                    SuggestOutput::Json => Output::Json,
                    SuggestOutput::Yaml => Output::Yaml,
                },
                no_headers: a.no_headers,
            }),
            CliCommand::Policy(a) => Command::Policy(options::PolicyOptions {
                rules: a
                    .rules
                    .as_deref()
                    .map(crate::core::admission::parse_rules)
                    .transpose()
                    .map_err(Error::usage)?,
                action: match a.action {
                    PolicyActionArg::Deny => crate::core::admission::Action::Deny,
                    PolicyActionArg::Warn => crate::core::admission::Action::Warn,
                    PolicyActionArg::Audit => crate::core::admission::Action::Audit,
                },
                output: match a.output {
                    PolicyOutput::Yaml => Output::Yaml,
                    PolicyOutput::Json => Output::Json,
                },
            }),
            CliCommand::Check(a) => Command::Check(options::CheckOptions {
                types: check_types(a.types, "check").map_err(Error::usage)?,
                scope: scope(a.all_namespaces, &g.namespace),
                label_selector: parse_opt(a.selector).map_err(Error::usage)?,
                fail_on: match a.fail_on {
                    FailOnArg::Error => crate::core::policy::FailOn::Error,
                    FailOnArg::Warning => crate::core::policy::FailOn::Warning,
                    FailOnArg::Never => crate::core::policy::FailOn::Never,
                },
                baseline: a.baseline,
                allow_partial: a.allow_partial,
                group_by: match a.group_by {
                    GroupByArg::Team => crate::core::policy::GroupBy::Team,
                    GroupByArg::Namespace => crate::core::policy::GroupBy::Namespace,
                    GroupByArg::Rule => crate::core::policy::GroupBy::Rule,
                },
                output: a.output.parse()?,
                no_headers: a.no_headers,
            }),
            CliCommand::Assign(a) => {
                let fields = match a.from {
                    // Each object's team comes from the document; clap refused every other field.
                    Some(_) => crate::core::plan::WriteFields::Assign {
                        team: None,
                        stage: None,
                        sunset: None,
                        contacts: Vec::new(),
                        overwrite: false,
                        allow_unknown_team: a.allow_unknown_team,
                    },
                    None => RawWriteFields::Assign {
                        team: a.team,
                        stage: a.stage,
                        sunset: a.sunset,
                        contacts: a.contacts,
                        overwrite: a.overwrite,
                        allow_unknown_team: a.allow_unknown_team,
                    }
                    .parse()
                    .map_err(Error::usage)?,
                };
                let targets = match &a.from {
                    Some(path) => read_suggestions(path, confidence(a.min_confidence))?,
                    None => named_or_bulk(&a.targets, &a.target)?,
                };
                Command::Assign(write_options(targets, a.target, fields, &g.namespace)?)
            }
            CliCommand::Unassign(a) => {
                let fields = RawWriteFields::Unassign {
                    team: a.team,
                    stage: a.stage,
                    sunset: a.sunset,
                    contacts: a.contacts,
                    all_contacts: a.all_contacts,
                }
                .parse()
                .map_err(Error::usage)?;
                let targets = named_or_bulk(&a.targets, &a.target)?;
                Command::Unassign(write_options(targets, a.target, fields, &g.namespace)?)
            }
        };
        Ok((global, command))
    }
}

fn confidence(arg: ConfidenceArg) -> crate::core::suggest::Confidence {
    match arg {
        ConfidenceArg::Low => crate::core::suggest::Confidence::Low,
        ConfidenceArg::Medium => crate::core::suggest::Confidence::Medium,
        ConfidenceArg::High => crate::core::suggest::Confidence::High,
    }
}

/// The TYPE/NAME or TYPE arguments of `assign` / `unassign`, in kubectl label's shapes.
fn named_or_bulk(args: &[String], t: &WriteTargetArgs) -> Result<WriteTargets, Error> {
    WriteTargets::parse(args, t.selector.is_some(), t.all, t.all_namespaces).map_err(Error::usage)
}

/// A FILE argument's text (`-`: stdin); `what` names it in errors.
fn read_input(path: &Path, what: &str) -> Result<(String, String), Error> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| Error::input(format!("reading {what} from stdin: {e}")))?;
        return Ok(("stdin".to_string(), text));
    }
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            Error::input(format!("the path \"{}\" does not exist", path.display()))
        }
        _ => Error::input(format!("reading {}: {e}", path.display())),
    })?;
    Ok((path.display().to_string(), text))
}

/// `assign --from FILE|-`: the suggestions read and picked now, so a malformed document is one
/// error line before any request.
fn read_suggestions(
    path: &Path,
    min: crate::core::suggest::Confidence,
) -> Result<WriteTargets, Error> {
    let (source, text) = read_input(path, "the suggestions")?;
    let (picked, left) =
        crate::core::suggest::pick(&text, crate::output::documents::API_VERSION, min)
            .map_err(|e| Error::input(format!("suggestions {source}: {e}")))?;
    Ok(WriteTargets::Suggested { picked, left })
}

/// `who --alert FILE|-`: the payload read and parsed now, so a malformed one is one error line
/// before any request.
fn read_alerts(path: &Path) -> Result<WhoLookup, Error> {
    let (source, text) = read_input(path, "the alert payload")?;
    let alerts = crate::core::alert::parse(&text)
        .map_err(|e| Error::input(format!("alert payload {source}: {e}")))?;
    Ok(WhoLookup::Alerts(alerts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn connection_flags_after_the_subcommand() {
        let cli = Cli::try_parse_from([
            "kubectl-owner",
            "ls",
            "-A",
            "--context",
            "prod",
            "-n",
            "x",
            "--as",
            "alice",
            "--as-group",
            "g1",
            "--as-group",
            "g2",
            "-v=6",
            "--request-timeout",
            "2s",
            "--insecure-skip-tls-verify",
            "--config",
            "c.yaml",
        ])
        .unwrap();
        let (global, command) = cli.into_options().unwrap();
        assert_eq!(global.connection.context.as_deref(), Some("prod"));
        assert_eq!(global.connection.impersonate_groups, vec!["g1", "g2"]);
        assert_eq!(global.verbosity, 6);
        assert!(global.connection.insecure_skip_tls_verify);
        assert_eq!(
            global.connection.request_timeout,
            Some(std::time::Duration::from_secs(2))
        );
        assert!(matches!(
            command,
            Command::Ls(LsOptions {
                scope: Scope::AllNamespaces,
                ..
            })
        ));
    }
}
