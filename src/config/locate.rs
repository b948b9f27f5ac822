//! Lookup: which local config file to read (`--config`, `$KUBECTL_OWNER_CONFIG`, the XDG and
//! platform config directories) and reading it.

use std::path::{Path, PathBuf};

use super::CONFIG_ENV;
use super::file::{ConfigFile, parse};
use super::yaml_error::ConfigError;

/// The config file candidates after `--config`, in lookup order: `$KUBECTL_OWNER_CONFIG`,
/// `$XDG_CONFIG_HOME/kubectl-owner/config.yaml` (when set), `~/.config/kubectl-owner/config.yaml`
/// (where kubectl's world keeps its tools' files, macOS included), then the platform's config
/// directory (`~/Library/Application Support` on macOS, `%APPDATA%` on Windows).
pub fn search_path() -> Vec<PathBuf> {
    candidates(|k| std::env::var_os(k), &platform_dirs())
}

/// `~/.config` and the platform's config directory (the same on Linux).
fn platform_dirs() -> [Option<PathBuf>; 2] {
    [
        dirs::home_dir().map(|home| home.join(".config")),
        dirs::config_dir(),
    ]
}

/// The config file to read: `explicit` (`--config`) as given, even if it does not exist (reading
/// it then fails); otherwise the first candidate of [`search_path`] that exists, or `None`
/// (defaults).
pub fn locate(explicit: Option<&Path>) -> Option<PathBuf> {
    locate_with(explicit, |k| std::env::var_os(k), &platform_dirs())
}

/// Reads and parses the local config file. No file → `Ok(None)`; a missing `--config` file, an
/// unreadable file or an invalid document → error.
pub fn load_local(explicit: Option<&Path>) -> Result<Option<ConfigFile>, ConfigError> {
    let Some(path) = locate(explicit) else {
        return Ok(None);
    };
    match read(&path) {
        Ok(file) => Ok(Some(file)),
        // Removed between locate and read: treat as absent.
        Err(_) if explicit.is_none() && !path.exists() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads and parses the config file at `path`.
pub fn read(path: &Path) -> Result<ConfigFile, ConfigError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        let message = match e.kind() {
            std::io::ErrorKind::NotFound => "file not found".to_string(),
            _ => format!("cannot read file: {e}"),
        };
        ConfigError {
            origin: origin.clone(),
            line: None,
            column: None,
            message,
        }
    })?;
    parse(&text, &origin)
}

fn candidates(
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
    config_dirs: &[Option<PathBuf>],
) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    let nonempty = |k: &str| env(k).filter(|v| !v.is_empty());
    if let Some(p) = nonempty(CONFIG_ENV) {
        out.push(PathBuf::from(p));
    }
    if let Some(x) = nonempty("XDG_CONFIG_HOME") {
        out.push(PathBuf::from(x).join("kubectl-owner").join("config.yaml"));
    }
    for d in config_dirs.iter().flatten() {
        let p = d.join("kubectl-owner").join("config.yaml");
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

fn locate_with(
    explicit: Option<&Path>,
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
    config_dirs: &[Option<PathBuf>],
) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    candidates(env, config_dirs)
        .into_iter()
        .find(|p| p.exists())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::values::List;
    use std::sync::Mutex;

    static ENV: Mutex<()> = Mutex::new(());

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "kubectl-owner-config-test-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn lookup_order_pure() {
        let d = scratch("pure");
        let envf = d.join("env.yaml");
        let xdg = d.join("xdg");
        let home = d.join("home");
        let xdg_file = xdg.join("kubectl-owner/config.yaml");
        let home_file = home.join("kubectl-owner/config.yaml");
        let env = |envf: Option<&Path>, xdg: Option<&Path>| {
            let envf = envf.map(|p| p.as_os_str().to_owned());
            let xdg = xdg.map(|p| p.as_os_str().to_owned());
            move |k: &str| match k {
                CONFIG_ENV => envf.clone(),
                "XDG_CONFIG_HOME" => xdg.clone(),
                _ => None,
            }
        };
        // Nothing exists.
        assert_eq!(
            locate_with(None, env(Some(&envf), Some(&xdg)), &[Some(home.clone())]),
            None
        );
        // Explicit is returned even when missing.
        let explicit = d.join("missing.yaml");
        assert_eq!(
            locate_with(Some(&explicit), env(None, None), &[]),
            Some(explicit.clone())
        );
        write(&home_file, "");
        assert_eq!(
            locate_with(None, env(Some(&envf), Some(&xdg)), &[Some(home.clone())]),
            Some(home_file.clone())
        );
        write(&xdg_file, "");
        assert_eq!(
            locate_with(None, env(Some(&envf), Some(&xdg)), &[Some(home.clone())]),
            Some(xdg_file.clone())
        );
        // XDG_CONFIG_HOME only counts when set.
        assert_eq!(
            locate_with(None, env(None, None), &[Some(home.clone())]),
            Some(home_file.clone())
        );
        write(&envf, "");
        assert_eq!(
            locate_with(None, env(Some(&envf), Some(&xdg)), &[Some(home.clone())]),
            Some(envf.clone())
        );
        assert_eq!(
            locate_with(
                Some(&explicit),
                env(Some(&envf), Some(&xdg)),
                &[Some(home.clone())]
            ),
            Some(explicit)
        );
        // Same directory twice is listed once.
        assert_eq!(
            candidates(
                env(None, Some(&xdg)),
                &[Some(xdg.clone()), Some(xdg.clone())]
            )
            .len(),
            1
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    /// On macOS `~/.config` comes before `~/Library/Application Support`.
    #[test]
    fn dot_config_before_the_platform_directory() {
        let d = scratch("dot-config");
        let dot_config = d.join("home/.config");
        let platform = d.join("home/Library/Application Support");
        let none = |_: &str| None;
        let dirs = [Some(dot_config.clone()), Some(platform.clone())];
        assert_eq!(
            candidates(none, &dirs),
            [
                dot_config.join("kubectl-owner/config.yaml"),
                platform.join("kubectl-owner/config.yaml")
            ]
        );
        write(&platform.join("kubectl-owner/config.yaml"), "");
        assert_eq!(
            locate_with(None, none, &dirs),
            Some(platform.join("kubectl-owner/config.yaml"))
        );
        write(&dot_config.join("kubectl-owner/config.yaml"), "");
        assert_eq!(
            locate_with(None, none, &dirs),
            Some(dot_config.join("kubectl-owner/config.yaml"))
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn lookup_order_with_env_vars() {
        let _guard = ENV.lock().unwrap_or_else(|e| e.into_inner());
        let saved: Vec<_> = [CONFIG_ENV, "XDG_CONFIG_HOME"]
            .iter()
            .map(|k| (*k, std::env::var_os(k)))
            .collect();
        let d = scratch("env");
        let envf = d.join("from-env.yaml");
        let xdg = d.join("xdg");
        let xdg_file = xdg.join("kubectl-owner/config.yaml");
        // SAFETY: tests touching the environment hold the ENV mutex.
        unsafe {
            std::env::set_var(CONFIG_ENV, &envf);
            std::env::set_var("XDG_CONFIG_HOME", &xdg);
        }
        assert_eq!(search_path()[0], envf);
        assert_eq!(search_path()[1], xdg_file);
        // Missing env file falls through to XDG.
        write(&xdg_file, "keys:\n  team: squad\n");
        assert_eq!(locate(None), Some(xdg_file.clone()));
        assert_eq!(
            load_local(None)
                .unwrap()
                .unwrap()
                .keys
                .unwrap()
                .team
                .as_deref(),
            Some("squad")
        );
        write(&envf, "stages: [a]\n");
        assert_eq!(locate(None), Some(envf.clone()));
        assert_eq!(
            load_local(None)
                .unwrap()
                .unwrap()
                .stages
                .map(List::into_strings),
            Some(vec!["a".to_string()])
        );
        // --config wins; a missing --config is an error.
        let explicit = d.join("explicit.yaml");
        let e = load_local(Some(&explicit)).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("config {}: file not found", explicit.display())
        );
        write(&explicit, "");
        assert_eq!(
            load_local(Some(&explicit)).unwrap(),
            Some(ConfigFile::default())
        );
        // An invalid file names itself.
        write(&envf, "stagez: [a]\n");
        let e = load_local(None).unwrap_err();
        assert_eq!(e.origin, envf.display().to_string());
        assert_eq!(e.line, Some(1));
        // Empty env var is ignored.
        unsafe {
            std::env::set_var(CONFIG_ENV, "");
        }
        assert_eq!(locate(None), Some(xdg_file));
        // SAFETY: as above.
        unsafe {
            for (k, v) in saved {
                match v {
                    Some(v) => std::env::set_var(k, v),
                    None => std::env::remove_var(k),
                }
            }
        }
        let _ = std::fs::remove_dir_all(&d);
    }
}
