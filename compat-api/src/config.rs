//! oslo.config-style INI configuration with environment overrides.
//!
//! Options keep their upstream section and name (`[database] connection`,
//! `[token] expiration`, ...). An environment variable
//! `FERROSTACK__<SECTION>__<OPTION>` (upper case) overrides the file, so a
//! container can be configured without one.

use ini::Ini;
use std::path::Path;
use std::str::FromStr;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("invalid value {value:?} for option [{section}] {option}: {reason}")]
    Invalid {
        section: String,
        option: String,
        value: String,
        reason: String,
    },
}

#[derive(Debug, Default, Clone)]
pub struct Config {
    ini: Ini,
}

impl FromStr for Config {
    type Err = ConfigError;

    fn from_str(text: &str) -> Result<Self, ConfigError> {
        let ini = Ini::load_from_str(text).map_err(|e| ConfigError::Read {
            path: "<string>".into(),
            reason: e.to_string(),
        })?;
        Ok(Config { ini })
    }
}

impl Config {
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let Some(path) = path else {
            return Ok(Config::default());
        };
        let ini = Ini::load_from_file(path).map_err(|e| ConfigError::Read {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Ok(Config { ini })
    }

    /// Sets an option (used by bootstrap code and tests).
    pub fn set(&mut self, section: &str, option: &str, value: &str) {
        self.ini.with_section(Some(section)).set(option, value);
    }

    /// The raw value: environment first, then the file. Empty values count as unset.
    pub fn get(&self, section: &str, option: &str) -> Option<String> {
        let env_name = format!(
            "FERROSTACK__{}__{}",
            section.to_uppercase(),
            option.to_uppercase()
        );
        if let Ok(value) = std::env::var(env_name) {
            return Some(value);
        }
        self.ini
            .section(Some(section))
            .and_then(|s| s.get(option))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    /// An oslo `ListOpt`: comma-separated (brackets and quotes tolerated);
    /// an option set to nothing is the empty list, an absent one `default`.
    pub fn get_list(&self, section: &str, option: &str, default: &[&str]) -> Vec<String> {
        let env_name = format!(
            "FERROSTACK__{}__{}",
            section.to_uppercase(),
            option.to_uppercase()
        );
        let raw = std::env::var(env_name).ok().or_else(|| {
            self.ini
                .section(Some(section))
                .and_then(|s| s.get(option))
                .map(str::to_owned)
        });
        let Some(text) = raw else {
            return default.iter().map(|s| s.to_string()).collect();
        };
        text.trim()
            .trim_matches(|c| c == '[' || c == ']')
            .split(',')
            .map(|s| s.trim().trim_matches(|c| c == '\'' || c == '"').to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    }

    pub fn get_or<T: FromStr>(
        &self,
        section: &str,
        option: &str,
        default: T,
    ) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        match self.parse(section, option)? {
            Some(v) => Ok(v),
            None => Ok(default),
        }
    }

    pub fn parse<T: FromStr>(&self, section: &str, option: &str) -> Result<Option<T>, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        let Some(raw) = self.get(section, option) else {
            return Ok(None);
        };
        raw.parse()
            .map(Some)
            .map_err(|e: T::Err| ConfigError::Invalid {
                section: section.into(),
                option: option.into(),
                value: raw.clone(),
                reason: e.to_string(),
            })
    }

    /// oslo's booleans: true/false, yes/no, on/off, 1/0.
    pub fn get_bool(
        &self,
        section: &str,
        option: &str,
        default: bool,
    ) -> Result<bool, ConfigError> {
        let Some(raw) = self.get(section, option) else {
            return Ok(default);
        };
        match raw.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(true),
            "false" | "no" | "off" | "0" => Ok(false),
            _ => Err(ConfigError::Invalid {
                section: section.into(),
                option: option.into(),
                value: raw,
                reason: "expected a boolean".into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_follow_oslo() {
        let conf: Config = "[a]\nx = [one, 'two']\ny =\n".parse().unwrap();
        assert_eq!(conf.get_list("a", "x", &[]), vec!["one", "two"]);
        assert!(conf.get_list("a", "y", &["d"]).is_empty());
        assert_eq!(conf.get_list("a", "z", &["d"]), vec!["d"]);
    }

    #[test]
    fn reads_sections_and_types() {
        let c = "[DEFAULT]\ndebug = yes\n[token]\nexpiration = 7200\n"
            .parse::<Config>()
            .unwrap();
        assert!(c.get_bool("DEFAULT", "debug", false).unwrap());
        assert_eq!(c.get_or("token", "expiration", 3600u64).unwrap(), 7200);
        assert_eq!(c.get_or("token", "missing", 5u64).unwrap(), 5);
    }

    #[test]
    fn bad_values_name_the_option() {
        let c = "[token]\nexpiration = soon\n".parse::<Config>().unwrap();
        let err = c
            .get_or("token", "expiration", 1u64)
            .unwrap_err()
            .to_string();
        assert!(err.contains("[token] expiration"), "{err}");
    }

    #[test]
    fn environment_overrides_file() {
        let c = "[cfgtest]\nopt = file\n".parse::<Config>().unwrap();
        std::env::set_var("FERROSTACK__CFGTEST__OPT", "env");
        assert_eq!(c.get("cfgtest", "opt").as_deref(), Some("env"));
        std::env::remove_var("FERROSTACK__CFGTEST__OPT");
    }
}
