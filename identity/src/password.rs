//! Password hashing (bcrypt, keystone's default) and the security-compliance
//! rules on new passwords.

use crate::config::SecurityCompliance;
use crate::error::Error;
use crate::store::models::Password;

/// bcrypt ignores bytes past 72; keystone refuses longer passwords than 4096.
const MAX_PASSWORD_LENGTH: usize = 4096;

pub fn hash(password: &str, rounds: u32) -> Result<String, Error> {
    bcrypt::hash(password, rounds)
        .map_err(|e| Error::Internal(format!("cannot hash password: {e}")))
}

/// Constant-time check; a malformed stored hash simply does not match.
pub fn verify(password: &str, hashed: &str) -> bool {
    bcrypt::verify(password, hashed).unwrap_or(false)
}

/// A hash of nothing, to spend the same time on unknown users as on known ones.
pub fn dummy_verify(password: &str, rounds: u32) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hashed = DUMMY.get_or_init(|| hash("dummy password", rounds).unwrap_or_default());
    let _ = verify(password, hashed);
}

/// Checks a new password against length and `password_regex`.
pub fn validate_strength(password: &str, rules: &SecurityCompliance) -> Result<(), Error> {
    if password.is_empty() || password.len() > MAX_PASSWORD_LENGTH {
        return Err(Error::Validation(format!(
            "Invalid input for field 'password': the password must be 1 to {MAX_PASSWORD_LENGTH} characters."
        )));
    }
    let Some(pattern) = &rules.password_regex else {
        return Ok(());
    };
    let re = regex::Regex::new(pattern).map_err(|e| {
        Error::Internal(format!("invalid [security_compliance] password_regex: {e}"))
    })?;
    if re.is_match(password) {
        return Ok(());
    }
    let detail = rules
        .password_regex_description
        .clone()
        .unwrap_or_else(|| "The password does not meet the requirements.".into());
    Err(Error::Validation(format!(
        "Password validation error: The password does not meet the requirements: {detail}"
    )))
}

/// `unique_last_password_count`: the new password must differ from the last
/// N passwords, the current one included. `history` is newest first.
pub fn check_history(
    password: &str,
    history: &[Password],
    rules: &SecurityCompliance,
) -> Result<(), Error> {
    let count = rules.unique_last_password_count as usize;
    if count == 0 {
        return Ok(());
    }
    if history
        .iter()
        .take(count)
        .any(|p| verify(password, &p.password_hash))
    {
        return Err(Error::Validation(format!(
            "The new password cannot be identical to a previous password. The total number which includes the new password must be unique is {count}."
        )));
    }
    Ok(())
}

/// `minimum_password_age`: days a self-service change must wait.
pub fn check_minimum_age(
    current: Option<&Password>,
    rules: &SecurityCompliance,
    now_us: i64,
) -> Result<(), Error> {
    let days = rules.minimum_password_age_days as i64;
    let Some(current) = current.filter(|_| days > 0) else {
        return Ok(());
    };
    let allowed_at = current.created_at + days * 86_400_000_000;
    if now_us < allowed_at {
        return Err(Error::Validation(format!(
            "You cannot change your password at this time due to the minimum password age. Once you change your password, it must be used for {days} day(s) before it can be changed."
        )));
    }
    Ok(())
}

/// The expiry of a newly set password, if passwords expire.
pub fn expiry(rules: &SecurityCompliance, now_us: i64) -> Option<i64> {
    rules
        .password_expires_days
        .map(|d| now_us + (d as i64) * 86_400_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(count: u32) -> SecurityCompliance {
        SecurityCompliance {
            lockout_failure_attempts: None,
            lockout_duration_s: 1800,
            unique_last_password_count: count,
            minimum_password_age_days: 0,
            password_expires_days: None,
            password_regex: Some("^.{6,}$".into()),
            password_regex_description: Some("six characters".into()),
        }
    }

    fn pw(p: &str) -> Password {
        Password {
            id: p.into(),
            user_id: "u".into(),
            password_hash: hash(p, 4).unwrap(),
            created_at: 0,
            expires_at: None,
            self_service: false,
        }
    }

    #[test]
    fn history_counts_the_current_password() {
        let history = vec![pw("second"), pw("first")];
        assert!(check_history("second", &history, &rules(1)).is_err());
        assert!(check_history("first", &history, &rules(1)).is_ok());
        assert!(check_history("first", &history, &rules(2)).is_err());
        assert!(check_history("third", &history, &rules(2)).is_ok());
    }

    #[test]
    fn regex_is_enforced_with_its_description() {
        let e = validate_strength("abc", &rules(0)).unwrap_err().to_string();
        assert!(e.contains("six characters"), "{e}");
        assert!(validate_strength("abcdefg", &rules(0)).is_ok());
    }
}
