//! Distribution: the krew manifest, its release-bot template, the packaging script and the release
//! workflow.
//!
//! krew itself cannot run here, so `validate` re-implements the checks of krew's
//! `validate-krew-manifest` that apply to a manifest and its archive: the name is the file stem and
//! `^[\w-]+$`; the version is semver with a leading `v` (and, for us, Cargo.toml's); every sha256 is
//! 64 lower-case hex; selectors use only `os`/`arch` matchLabels, each matching a supported pair,
//! and no two platforms match the same pair; `bin` and a LICENSE are among the installed files.
//! Each rule has a negative case on a deliberately broken copy of `krew/owner.yaml`.
//!
//! The packaging test runs `krew/package.sh`. With `KUBECTL_OWNER_PACKAGE_PROFILE=PROFILE` the
//! script builds that cargo profile; unset, it builds `release` when `CI` is set (the real thing,
//! including the 10 MB size limit) and otherwise packages the binary `cargo test` already built,
//! so that a local `cargo test` does not re-link an LTO build after every change.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const TEMPLATE: &str = "krew/.krew.yaml";
const WORKFLOW: &str = ".github/workflows/release.yml";
const CI_WORKFLOW: &str = ".github/workflows/ci.yml";
const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The release binary must stay at or under this size (bytes).
const MAX_BINARY_BYTES: u64 = 10_000_000;

/// krew's supported os/arch pairs (validate-krew-manifest).
const SUPPORTED: &[(&str, &str)] = &[
    ("linux", "386"),
    ("linux", "amd64"),
    ("linux", "arm"),
    ("linux", "arm64"),
    ("linux", "ppc64le"),
    ("darwin", "amd64"),
    ("darwin", "arm64"),
    ("windows", "386"),
    ("windows", "amd64"),
    ("windows", "arm64"),
];

/// The five platforms we ship.
const SHIPPED: &[(&str, &str)] = &[
    ("linux", "amd64"),
    ("linux", "arm64"),
    ("darwin", "amd64"),
    ("darwin", "arm64"),
    ("windows", "amd64"),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn parse(text: &str) -> Value {
    serde_saphyr::from_str(text).expect("valid YAML")
}

// ---------------------------------------------------------------------------------------------
// The validator
// ---------------------------------------------------------------------------------------------

/// Which rule a problem breaks (one negative test per rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rule {
    Schema,
    NameIsStem,
    NameChars,
    VersionSemver,
    VersionIsCargo,
    Sha256,
    SelectorKeys,
    SupportedPlatform,
    Overlap,
    BinInstalled,
    License,
}

#[derive(Debug)]
struct Problem {
    rule: Rule,
    message: String,
}

/// What the archive of a platform holds, when known; otherwise the `from` names of `files` are
/// taken as the archive's entries (as in our manifests, which name files literally).
type ArchiveEntries<'a> = Option<&'a [String]>;

fn validate(
    stem: &str,
    manifest: &Value,
    expected_version: &str,
    archive: ArchiveEntries<'_>,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut fail = |rule: Rule, message: String| problems.push(Problem { rule, message });
    let str_at = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);

    if str_at(manifest, "apiVersion").as_deref()
        != Some("krew.googlecontainertools.github.com/v1alpha2")
    {
        fail(
            Rule::Schema,
            "apiVersion must be krew.googlecontainertools.github.com/v1alpha2".into(),
        );
    }
    if str_at(manifest, "kind").as_deref() != Some("Plugin") {
        fail(Rule::Schema, "kind must be Plugin".into());
    }

    let name = manifest
        .get("metadata")
        .and_then(|m| str_at(m, "name"))
        .unwrap_or_default();
    if name != stem {
        fail(
            Rule::NameIsStem,
            format!("metadata.name {name:?} is not the file name {stem:?}"),
        );
    }
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        fail(
            Rule::NameChars,
            format!("metadata.name {name:?} does not match ^[\\w-]+$"),
        );
    }

    let Some(spec) = manifest.get("spec") else {
        fail(Rule::Schema, "no spec".into());
        return problems;
    };
    let version = str_at(spec, "version").unwrap_or_default();
    match version.strip_prefix('v') {
        Some(semver) if is_semver(semver) => {
            if semver != expected_version {
                fail(
                    Rule::VersionIsCargo,
                    format!("spec.version {version} is not v{expected_version} (Cargo.toml)"),
                );
            }
        }
        _ => fail(
            Rule::VersionSemver,
            format!("spec.version {version:?} is not semver with a leading v"),
        ),
    }
    match str_at(spec, "shortDescription") {
        Some(s) if !s.trim().is_empty() && !s.trim().contains('\n') => {}
        _ => fail(
            Rule::Schema,
            "shortDescription must be one non-empty line".into(),
        ),
    }
    if str_at(spec, "description").is_none_or(|d| d.trim().is_empty()) {
        fail(Rule::Schema, "description is empty".into());
    }
    if str_at(spec, "homepage").is_none_or(|h| !h.starts_with("https://")) {
        fail(Rule::Schema, "homepage must be an https URL".into());
    }

    let platforms = spec
        .get("platforms")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if platforms.is_empty() {
        fail(Rule::Schema, "no platforms".into());
    }
    let mut matched: Vec<Vec<usize>> = vec![Vec::new(); SUPPORTED.len()];
    for (i, p) in platforms.iter().enumerate() {
        let sha = str_at(p, "sha256").unwrap_or_default();
        if sha.len() != 64
            || !sha
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        {
            fail(
                Rule::Sha256,
                format!("platform {i}: sha256 {sha:?} is not 64 lower-case hex digits"),
            );
        }
        let uri = str_at(p, "uri").unwrap_or_default();
        if !(uri.starts_with("https://") || uri.starts_with("file://"))
            || !(uri.ends_with(".tar.gz") || uri.ends_with(".zip"))
        {
            fail(
                Rule::Schema,
                format!("platform {i}: uri {uri:?} is not an https/file .tar.gz or .zip"),
            );
        }

        // Selector: only matchLabels, only os and arch.
        let selector = p.get("selector").and_then(Value::as_object);
        let mut labels: Vec<(String, String)> = Vec::new();
        match selector {
            None => fail(Rule::SelectorKeys, format!("platform {i}: no selector")),
            Some(sel) => {
                for (k, v) in sel {
                    if k != "matchLabels" {
                        fail(
                            Rule::SelectorKeys,
                            format!("platform {i}: selector key {k:?} (only matchLabels)"),
                        );
                        continue;
                    }
                    for (lk, lv) in v.as_object().into_iter().flatten() {
                        let lk = lk.to_string();
                        if lk != "os" && lk != "arch" {
                            fail(
                                Rule::SelectorKeys,
                                format!("platform {i}: label {lk:?} (only os and arch)"),
                            );
                        }
                        labels.push((lk, lv.as_str().unwrap_or_default().to_string()));
                    }
                }
            }
        }
        // krew: a selector matches a pair when each of its labels equals the pair's value.
        let label = |key: &str| {
            labels
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        let selector_matches = |os: &str, arch: &str| {
            labels.iter().all(|(k, _)| k == "os" || k == "arch")
                && label("os").is_none_or(|v| v == os)
                && label("arch").is_none_or(|v| v == arch)
        };
        let mut any = false;
        for (j, (os, arch)) in SUPPORTED.iter().enumerate() {
            if selector_matches(os, arch) {
                matched[j].push(i);
                any = true;
            }
        }
        if !any {
            fail(
                Rule::SupportedPlatform,
                format!("platform {i}: selector {labels:?} matches no supported os/arch"),
            );
        }

        // Installed files: each `files` entry copies the archive entries matching `from` into `to`.
        let files = p
            .get("files")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let entries: Vec<String> = match archive {
            Some(entries) => entries.to_vec(),
            None => files.iter().filter_map(|f| str_at(f, "from")).collect(),
        };
        let mut installed: BTreeSet<String> = BTreeSet::new();
        for f in &files {
            let from = str_at(f, "from").unwrap_or_default();
            let to = str_at(f, "to").unwrap_or_else(|| ".".into());
            for e in entries.iter().filter(|e| glob(&from, e)) {
                let base = e.rsplit('/').next().unwrap_or(e);
                let dest = if to == "." || to.is_empty() {
                    base.to_string()
                } else {
                    format!("{to}/{base}")
                };
                installed.insert(dest);
            }
        }
        if files.is_empty() {
            // krew's default: the whole archive.
            installed.extend(entries.iter().cloned());
        }
        let bin = str_at(p, "bin").unwrap_or_default();
        if bin.is_empty() || !installed.contains(&bin) {
            fail(
                Rule::BinInstalled,
                format!("platform {i}: bin {bin:?} is not among the installed files {installed:?}"),
            );
        }
        if !installed.iter().any(|f| {
            f.rsplit('/')
                .next()
                .unwrap_or(f)
                .to_uppercase()
                .starts_with("LICENSE")
        }) {
            fail(
                Rule::License,
                format!("platform {i}: no LICENSE among the installed files {installed:?}"),
            );
        }
    }
    for (j, hits) in matched.iter().enumerate() {
        if hits.len() > 1 {
            let (os, arch) = SUPPORTED[j];
            fail(
                Rule::Overlap,
                format!("platforms {hits:?} all match {os}/{arch}"),
            );
        }
    }
    problems
}

/// `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`, numbers without leading zeros.
fn is_semver(text: &str) -> bool {
    let (core, build) = text
        .split_once('+')
        .map_or((text, None), |(c, b)| (c, Some(b)));
    let (core, pre) = core
        .split_once('-')
        .map_or((core, None), |(c, p)| (c, Some(p)));
    let number = |n: &str| {
        !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) && (n == "0" || !n.starts_with('0'))
    };
    let ident = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| number(p))
        && pre.is_none_or(|p| p.split('.').all(ident))
        && build.is_none_or(|b| b.split('.').all(ident))
}

/// krew's `from` patterns: `*` matches any run of characters except `/`.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            let Some(rest) = text.strip_prefix(head) else {
                return false;
            };
            (0..=rest.len())
                .filter(|&i| rest.is_char_boundary(i) && !rest[..i].contains('/'))
                .any(|i| glob(tail, &rest[i..]))
        }
    }
}

fn rules(problems: &[Problem]) -> BTreeSet<Rule> {
    problems.iter().map(|p| p.rule).collect()
}

fn assert_valid(stem: &str, manifest: &Value, archive: ArchiveEntries<'_>) {
    let problems = validate(stem, manifest, VERSION, archive);
    let messages: Vec<String> = problems
        .iter()
        .map(|p| format!("{:?}: {}", p.rule, p.message))
        .collect();
    assert!(
        messages.is_empty(),
        "{stem} fails krew validation:\n{}",
        messages.join("\n")
    );
}

fn platforms(m: &mut Value) -> &mut Vec<Value> {
    m["spec"]["platforms"].as_array_mut().expect("platforms")
}

fn selector_pairs(m: &Value) -> Vec<(String, String)> {
    m["spec"]["platforms"]
        .as_array()
        .expect("platforms")
        .iter()
        .map(|p| {
            let l = &p["selector"]["matchLabels"];
            (
                l["os"].as_str().unwrap_or_default().to_string(),
                l["arch"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The committed manifest and template
// ---------------------------------------------------------------------------------------------

/// A sha256 as the release fills it in (any 64 hex digits to the rules).
const SAMPLE_SHA: &str = "4f1b9c0e7d3a52e8b6c1f0a9d8e7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9";

/// The manifest of this version as the release renders it from the template.
fn manifest() -> Value {
    parse(&render_template(
        &read(TEMPLATE),
        &format!("v{VERSION}"),
        SAMPLE_SHA,
    ))
}

/// `kubectl krew install --manifest=…` must never meet a committed manifest whose checksums are
/// placeholders: the only manifests are the ones the release renders with real sha256s.
#[test]
fn no_manifest_with_placeholder_checksums_is_committed() {
    for entry in std::fs::read_dir(root().join("krew")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            !text.contains(&"0".repeat(64)),
            "{} carries a placeholder sha256",
            path.display()
        );
        if path.extension().is_some_and(|e| e == "yaml") {
            assert_eq!(
                path.file_name().unwrap(),
                ".krew.yaml",
                "{}",
                path.display()
            );
        }
    }
}

#[test]
fn rendered_manifest_passes_krew_validation() {
    let manifest = manifest();
    let stem = "owner";
    assert_valid(stem, &manifest, None);
    assert_eq!(
        manifest["spec"]["version"].as_str(),
        Some(format!("v{VERSION}").as_str())
    );
    assert_eq!(
        manifest["spec"]["homepage"].as_str(),
        Some("https://github.com/kubectl-owner/kubectl-owner")
    );

    let pairs = selector_pairs(&manifest);
    let wanted: Vec<(String, String)> = SHIPPED
        .iter()
        .map(|(o, a)| (o.to_string(), a.to_string()))
        .collect();
    assert_eq!(pairs, wanted);
    for p in manifest["spec"]["platforms"].as_array().unwrap() {
        let os = p["selector"]["matchLabels"]["os"].as_str().unwrap();
        let arch = p["selector"]["matchLabels"]["arch"].as_str().unwrap();
        let exe = if os == "windows" { ".exe" } else { "" };
        assert_eq!(
            p["bin"].as_str(),
            Some(format!("kubectl-owner{exe}").as_str())
        );
        assert_eq!(
            p["uri"].as_str().unwrap(),
            format!(
                "https://github.com/kubectl-owner/kubectl-owner/releases/download/v{VERSION}/kubectl-owner_{VERSION}_{os}_{arch}.tar.gz"
            )
        );
        let from: Vec<&str> = p["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["from"].as_str().unwrap())
            .collect();
        // The completion shim that runs there: sh, or a .cmd file on Windows.
        let shim = if os == "windows" {
            "kubectl_complete-owner.cmd"
        } else {
            "kubectl_complete-owner"
        };
        assert_eq!(
            from,
            vec![format!("kubectl-owner{exe}").as_str(), "LICENSE", shim]
        );
    }
    // The description describes; it does not list flags.
    let description = manifest["spec"]["description"].as_str().unwrap();
    assert!(
        !description.contains("--"),
        "description lists flags: {description}"
    );
}

/// Renders the krew-release-bot template as the bot would (`{{ .TagName }}`, and `addURIAndSha`
/// with the archive's sha256, here the placeholder).
fn render_template(template: &str, tag: &str, sha: &str) -> String {
    let version = tag.trim_start_matches('v');
    let mut out = String::new();
    for line in template.lines() {
        let trimmed = line.trim_start();
        if let Some(call) = trimmed.strip_prefix("{{addURIAndSha \"") {
            let indent = line.len() - trimmed.len();
            let (url, rest) = call.split_once('"').expect("quoted URL");
            assert!(
                rest.trim() == format!(".TagName | indent {indent} }}}}"),
                "indent must be {indent}: {line}"
            );
            let url = url
                .replace("{{ .TagName }}", tag)
                .replace("{{ .Version }}", version);
            out.push_str(&format!(
                "{}uri: {url}\n{}sha256: \"{sha}\"\n",
                " ".repeat(indent),
                " ".repeat(indent)
            ));
        } else {
            out.push_str(&line.replace("{{ .TagName }}", tag));
            out.push('\n');
        }
    }
    assert!(
        !out.contains("{{"),
        "unrendered template action left:\n{out}"
    );
    out
}

#[test]
fn release_bot_template_renders_valid_manifests() {
    let template = read(TEMPLATE);
    assert_eq!(template.matches("addURIAndSha").count(), SHIPPED.len());
    assert_valid("owner", &manifest(), None);
    // A later tag renders a valid manifest of that version.
    let next = parse(&render_template(&template, "v9.8.7", &"a".repeat(64)));
    assert!(validate("owner", &next, "9.8.7", None).is_empty());
}

/// krew/manifest.sh renders the template with every archive's real sha256, as the release job
/// runs it; an archive missing from the directory is an error, not a placeholder.
#[test]
fn manifest_script_fills_in_every_archives_sha256() {
    let dist = tempfile::tempdir().unwrap();
    let mut shas = std::collections::BTreeMap::new();
    for (i, (os, arch)) in SHIPPED.iter().enumerate() {
        let name = format!("kubectl-owner_{VERSION}_{os}_{arch}.tar.gz");
        let bytes = format!("archive {i} for {os}/{arch}").into_bytes();
        std::fs::write(dist.path().join(&name), &bytes).unwrap();
        shas.insert((os.to_string(), arch.to_string()), sha256_hex(&bytes));
    }
    let run = |dir: &Path| {
        Command::new("sh")
            .arg(root().join("krew/manifest.sh"))
            .arg(dir)
            .arg(format!("v{VERSION}"))
            .output()
            .unwrap()
    };
    let out = run(dist.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dist.path().join("owner.yaml")).unwrap();
    assert!(!text.contains("{{"), "{text}");
    let rendered = parse(&text);
    assert_valid("owner", &rendered, None);
    for p in rendered["spec"]["platforms"].as_array().unwrap() {
        let key = (
            p["selector"]["matchLabels"]["os"]
                .as_str()
                .unwrap()
                .to_string(),
            p["selector"]["matchLabels"]["arch"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        assert_eq!(p["sha256"].as_str(), Some(shas[&key].as_str()), "{key:?}");
    }
    // Everything but the checksums is the template's rendering.
    let mut expected = manifest();
    let mut got = rendered.clone();
    for m in [&mut expected, &mut got] {
        for p in platforms(m) {
            p["sha256"] = Value::from("");
        }
    }
    assert_eq!(got, expected);

    std::fs::remove_file(
        dist.path()
            .join(format!("kubectl-owner_{VERSION}_darwin_arm64.tar.gz")),
    )
    .unwrap();
    std::fs::remove_file(dist.path().join("owner.yaml")).unwrap();
    let out = run(dist.path());
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("darwin_arm64.tar.gz is missing"));
    assert!(!dist.path().join("owner.yaml").exists());
}

// ---------------------------------------------------------------------------------------------
// One broken copy per rule
// ---------------------------------------------------------------------------------------------

fn broken(edit: impl FnOnce(&mut Value)) -> Value {
    let mut m = manifest();
    edit(&mut m);
    m
}

fn assert_breaks(rule: Rule, stem: &str, manifest: &Value) {
    let problems = validate(stem, manifest, VERSION, None);
    assert!(
        rules(&problems).contains(&rule),
        "expected {rule:?}, got {problems:#?}"
    );
    assert_eq!(
        rules(&problems),
        BTreeSet::from([rule]),
        "only {rule:?} should break: {problems:#?}"
    );
}

#[test]
fn broken_name_not_the_file_stem() {
    // The same manifest saved under another name.
    assert_breaks(Rule::NameIsStem, "kubectl-owner", &manifest());
}

#[test]
fn broken_name_characters() {
    let m = broken(|m| m["metadata"]["name"] = Value::from("own.er"));
    assert_breaks(Rule::NameChars, "own.er", &m);
}

#[test]
fn broken_version_without_v() {
    assert_breaks(
        Rule::VersionSemver,
        "owner",
        &broken(|m| m["spec"]["version"] = Value::from(VERSION)),
    );
}

#[test]
fn broken_version_not_semver() {
    assert_breaks(
        Rule::VersionSemver,
        "owner",
        &broken(|m| m["spec"]["version"] = Value::from("v0.1")),
    );
    assert_breaks(
        Rule::VersionSemver,
        "owner",
        &broken(|m| m["spec"]["version"] = Value::from("v01.0.0")),
    );
}

#[test]
fn broken_version_not_cargo_toml() {
    assert_breaks(
        Rule::VersionIsCargo,
        "owner",
        &broken(|m| m["spec"]["version"] = Value::from("v99.0.0")),
    );
}

#[test]
fn broken_sha256() {
    let upper = broken(|m| platforms(m)[0]["sha256"] = Value::from("A".repeat(64)));
    assert_breaks(Rule::Sha256, "owner", &upper);
    let short = broken(|m| platforms(m)[1]["sha256"] = Value::from("0".repeat(63)));
    assert_breaks(Rule::Sha256, "owner", &short);
}

#[test]
fn broken_selector_keys() {
    let extra_label =
        broken(|m| platforms(m)[0]["selector"]["matchLabels"]["distro"] = Value::from("debian"));
    assert!(rules(&validate("owner", &extra_label, VERSION, None)).contains(&Rule::SelectorKeys));
    let expressions = broken(|m| {
        platforms(m)[0]["selector"]["matchExpressions"] =
            parse("[{key: os, operator: In, values: [linux]}]");
    });
    assert!(rules(&validate("owner", &expressions, VERSION, None)).contains(&Rule::SelectorKeys));
}

#[test]
fn broken_unsupported_platform() {
    let m = broken(|m| platforms(m)[2]["selector"]["matchLabels"]["arch"] = Value::from("386"));
    assert_breaks(Rule::SupportedPlatform, "owner", &m);
}

#[test]
fn broken_overlapping_platforms() {
    let m = broken(|m| platforms(m)[1]["selector"]["matchLabels"]["arch"] = Value::from("amd64"));
    assert_breaks(Rule::Overlap, "owner", &m);
    // A selector without arch matches every linux pair, so it overlaps linux/amd64 too.
    let m = broken(|m| {
        platforms(m)[1]["selector"]["matchLabels"]
            .as_object_mut()
            .unwrap()
            .remove("arch");
    });
    assert_breaks(Rule::Overlap, "owner", &m);
}

#[test]
fn broken_bin_not_installed() {
    let m = broken(|m| platforms(m)[4]["bin"] = Value::from("kubectl-owner"));
    assert_breaks(Rule::BinInstalled, "owner", &m);
}

#[test]
fn broken_no_license() {
    let m = broken(|m| {
        platforms(m)[0]["files"]
            .as_array_mut()
            .unwrap()
            .retain(|f| f["from"].as_str() != Some("LICENSE"));
    });
    assert_breaks(Rule::License, "owner", &m);
}

#[test]
fn semver_and_glob_helpers() {
    for ok in ["0.1.0", "1.2.3-rc.1", "1.0.0+build.5", "10.20.30"] {
        assert!(is_semver(ok), "{ok}");
    }
    for bad in ["0.1", "1.2.3.4", "01.2.3", "1.2.x", "1.2.3-", ""] {
        assert!(!is_semver(bad), "{bad}");
    }
    assert!(glob("*", "LICENSE"));
    assert!(glob("kubectl-*", "kubectl-owner"));
    assert!(!glob("*", "dir/file"));
    assert!(!glob("LICENSE", "LICENSE.txt"));
}

// ---------------------------------------------------------------------------------------------
// The packaging command
// ---------------------------------------------------------------------------------------------

fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn host_pair() -> (&'static str, &'static str) {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    (os, arch)
}

/// Runs krew/package.sh into a temp dir; `profile` None packages the binary `cargo test` built.
fn run_package_script(
    profile: Option<&str>,
    extra_env: &[(&str, &str)],
) -> (std::process::Output, tempfile::TempDir) {
    let dist = tempfile::tempdir().unwrap();
    let uri_base = format!("file://{}", dist.path().display());
    let mut cmd = Command::new("sh");
    cmd.arg(root().join("krew/package.sh"))
        .args(["--uri-base", &uri_base])
        .env("DIST_DIR", dist.path())
        .env("CARGO", env!("CARGO"))
        .env_remove("MAX_BINARY_BYTES")
        .env_remove("PACKAGE_BINARY");
    match profile {
        Some(profile) => cmd.env("PACKAGE_PROFILE", profile),
        None => cmd.env("PACKAGE_BINARY", env!("CARGO_BIN_EXE_kubectl-owner")),
    };
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    (cmd.output().expect("run krew/package.sh"), dist)
}

#[test]
fn package_script_builds_archive_and_host_manifest() {
    if cfg!(windows) {
        eprintln!("SKIPPED: krew/package.sh needs a POSIX shell");
        return;
    }
    let profile = std::env::var("KUBECTL_OWNER_PACKAGE_PROFILE")
        .ok()
        .or_else(|| std::env::var_os("CI").map(|_| "release".to_string()));
    eprintln!(
        "packaging {}",
        profile
            .as_deref()
            .map_or("the test binary".to_string(), |p| format!("a {p} build"))
    );
    let (output, dist) = run_package_script(profile.as_deref(), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "package.sh failed:\n{stderr}\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let uri_base = format!("file://{}", dist.path().display());

    let (os, arch) = host_pair();
    let name = format!("kubectl-owner_{VERSION}_{os}_{arch}.tar.gz");
    let archive = dist.path().join(&name);
    assert!(archive.is_file(), "{} missing", archive.display());

    // `tar -tzf` lists exactly the three files.
    let listing = Command::new("tar")
        .arg("-tzf")
        .arg(&archive)
        .output()
        .expect("tar");
    assert!(listing.status.success());
    let mut entries: Vec<String> = String::from_utf8_lossy(&listing.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        vec!["LICENSE", "kubectl-owner", "kubectl_complete-owner"]
    );

    // The host manifest validates against the archive's real contents, names the archive, and
    // carries its real sha256.
    let manifest = parse(&std::fs::read_to_string(dist.path().join("owner.yaml")).unwrap());
    assert_valid("owner", &manifest, Some(&entries));
    assert_eq!(
        selector_pairs(&manifest),
        vec![(os.to_string(), arch.to_string())]
    );
    let platform = &manifest["spec"]["platforms"][0];
    assert_eq!(
        platform["uri"].as_str().unwrap(),
        format!("{uri_base}/{name}")
    );
    let sha = sha256_hex(&std::fs::read(&archive).unwrap());
    assert_eq!(
        platform["sha256"].as_str(),
        Some(sha.as_str()),
        "manifest sha256 is not the archive's"
    );
    // Everything but the platforms is the template's.
    let mut committed = self::manifest();
    let mut host = manifest.clone();
    platforms(&mut committed).clear();
    platforms(&mut host).clear();
    assert_eq!(host, committed);

    // Unpack and look at the files.
    let unpacked = tempfile::tempdir().unwrap();
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(&archive)
        .arg("-C")
        .arg(unpacked.path())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        std::fs::read(unpacked.path().join("LICENSE")).unwrap(),
        std::fs::read(root().join("LICENSE")).unwrap()
    );
    assert_eq!(
        std::fs::read(unpacked.path().join("kubectl_complete-owner")).unwrap(),
        std::fs::read(root().join("krew/kubectl_complete-owner")).unwrap()
    );
    let binary = unpacked.path().join("kubectl-owner");
    let version = Command::new(&binary)
        .arg("--version")
        .output()
        .expect("run the packaged binary");
    assert!(String::from_utf8_lossy(&version.stdout).contains(VERSION));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["kubectl-owner", "kubectl_complete-owner"] {
            let mode = std::fs::metadata(unpacked.path().join(f))
                .unwrap()
                .permissions()
                .mode();
            assert!(mode & 0o111 != 0, "{f} is not executable");
        }
    }

    let size = std::fs::metadata(&binary).unwrap().len();
    eprintln!("packaged kubectl-owner: {size} bytes");
    if profile.as_deref() == Some("release") {
        assert!(
            size <= MAX_BINARY_BYTES,
            "the release binary is {size} bytes, over {MAX_BINARY_BYTES}"
        );
    }
}

#[test]
fn package_script_rejects_an_oversized_binary() {
    if cfg!(windows) {
        return;
    }
    // The limit is enforced by the script itself, so the release workflow fails on it too.
    let script = read("krew/package.sh");
    assert!(script.contains(&format!(
        "max_bytes=${{MAX_BINARY_BYTES:-{MAX_BINARY_BYTES}}}"
    )));
    let (output, dist) = run_package_script(None, &[("MAX_BINARY_BYTES", "1000")]);
    assert!(!output.status.success(), "a 1000-byte limit must fail");
    assert!(String::from_utf8_lossy(&output.stderr).contains("larger than 1000 bytes"));
    assert!(
        !dist.path().join("owner.yaml").exists(),
        "no manifest for a rejected binary"
    );
}

// ---------------------------------------------------------------------------------------------
// The release workflow
// ---------------------------------------------------------------------------------------------

#[test]
fn release_workflow_builds_the_five_targets() {
    let workflow = parse(&read(WORKFLOW));
    // `on: push: tags: [v*]`
    let on = &workflow["on"];
    let tags = on["push"]["tags"].as_array().expect("on.push.tags");
    assert!(
        tags.iter()
            .any(|t| t.as_str().is_some_and(|t| t.starts_with('v'))),
        "{tags:?}"
    );

    let jobs = workflow["jobs"].as_object().expect("jobs");
    let mut targets: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut steps_text = String::new();
    for (_, job) in jobs {
        for include in job["strategy"]["matrix"]["include"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let get = |k: &str| include[k].as_str().unwrap_or_default().to_string();
            targets.insert((get("target"), get("os"), get("arch")));
            assert!(
                !get("runner").is_empty(),
                "matrix entry without a runner: {include:?}"
            );
        }
        for step in job["steps"].as_array().into_iter().flatten() {
            steps_text.push_str(&serde_json::to_string(step).unwrap());
        }
    }
    let expected: BTreeSet<(String, String, String)> = [
        ("x86_64-unknown-linux-musl", "linux", "amd64"),
        ("aarch64-unknown-linux-musl", "linux", "arm64"),
        ("x86_64-apple-darwin", "darwin", "amd64"),
        ("aarch64-apple-darwin", "darwin", "arm64"),
        ("x86_64-pc-windows-msvc", "windows", "amd64"),
    ]
    .iter()
    .map(|(t, o, a)| (t.to_string(), o.to_string(), a.to_string()))
    .collect();
    assert_eq!(targets, expected);
    // Every shipped platform of the manifest is built.
    let shipped: BTreeSet<(String, String)> = SHIPPED
        .iter()
        .map(|(o, a)| (o.to_string(), a.to_string()))
        .collect();
    let built: BTreeSet<(String, String)> = targets
        .iter()
        .map(|(_, o, a)| (o.clone(), a.clone()))
        .collect();
    assert_eq!(built, shipped);

    // It packages with the documented command, uploads, and runs the krew-release-bot.
    assert!(
        steps_text.contains("krew/package.sh --target"),
        "{steps_text}"
    );
    assert!(
        steps_text.contains("rajatjindal/krew-release-bot"),
        "{steps_text}"
    );
    assert!(steps_text.contains("krew/.krew.yaml"), "{steps_text}");
    // The five-platform manifest with real checksums is published with the release.
    assert!(
        steps_text.contains("sh krew/manifest.sh dist"),
        "{steps_text}"
    );
    assert!(steps_text.contains("dist/owner.yaml"), "{steps_text}");
}

/// Pull requests run what `.ci/run` runs, `cargo deny` with advisories, and the end-to-end
/// scenario against a real cluster (kind).
#[test]
fn pull_request_workflow_tests_denies_and_runs_the_scenario_on_kind() {
    let workflow = parse(&read(CI_WORKFLOW));
    let on = &workflow["on"];
    assert!(
        on.get("pull_request").is_some(),
        "runs on pull requests: {on:?}"
    );
    let jobs = workflow["jobs"].as_object().expect("jobs");
    let job_steps = |name: &str| -> String {
        let job = &jobs[name];
        job["steps"]
            .as_array()
            .unwrap_or_else(|| panic!("job {name} has steps"))
            .iter()
            .map(|step| serde_json::to_string(step).unwrap())
            .collect()
    };
    assert!(job_steps("test").contains("bash .ci/run"));
    let deny = job_steps("deny");
    assert!(deny.contains("EmbarkStudios/cargo-deny-action"), "{deny}");
    for check in ["advisories", "licenses", "bans", "sources"] {
        assert!(deny.contains(check), "{check}: {deny}");
    }
    assert!(deny.contains(".ci/deny.toml"), "{deny}");
    let e2e = job_steps("e2e-kind");
    assert!(e2e.contains("helm/kind-action"), "{e2e}");
    assert!(e2e.contains("sh tests/e2e/scenario.sh"), "{e2e}");
    assert!(e2e.contains("GITHUB_PATH"), "kubectl-owner on PATH: {e2e}");
    // What .ci/run runs is what README says the tests are.
    let ci = read(".ci/run");
    assert!(ci.contains("cargo test --workspace"), "{ci}");
    assert!(ci.contains("cargo deny"), "{ci}");
}
