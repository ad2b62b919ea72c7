//! How requested receipts are rendered: languages, zone, the printed generation time.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use super::values::{Langs, TimeBound, Zone};
use super::{Setting, SettingError};
use crate::locale::Lang;

/// Receipt settings as text, from any front end.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReceiptRequest {
    /// Languages, comma-separated or `all`; English when absent.
    pub lang: Option<String>,
    /// Zone the receipt shows times in; UTC when absent.
    pub tz: Option<String>,
    /// The generation time printed on receipts; now when absent.
    pub generated_at: Option<String>,
    /// PDF/A-2b.
    pub pdfa: bool,
}

/// Validated receipt settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptSpec {
    pub langs: Vec<Lang>,
    pub zone: Tz,
    pub generated_at: DateTime<Utc>,
    pub pdfa: bool,
}

impl ReceiptRequest {
    pub fn validate(&self) -> Result<ReceiptSpec, SettingError> {
        let zone = match &self.tz {
            Some(text) => text.parse::<Zone>()?.0,
            None => Tz::UTC,
        };
        let langs = match &self.lang {
            Some(text) => text.parse::<Langs>()?.0,
            None => vec![Lang::En],
        };
        let generated_at = match &self.generated_at {
            Some(text) => {
                TimeBound::parse(Setting::GeneratedAt, text)?.resolve(Setting::GeneratedAt, zone)?
            }
            // To the second, so the printed time and the document's metadata agree.
            None => DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap_or_default(),
        };
        Ok(ReceiptSpec {
            langs,
            zone,
            generated_at,
            pdfa: self.pdfa,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Mistake;

    #[test]
    fn defaults_and_refusals() {
        let spec = ReceiptRequest::default().validate().unwrap();
        assert_eq!(
            (spec.langs.as_slice(), spec.zone),
            ([Lang::En].as_slice(), Tz::UTC)
        );
        assert_eq!(spec.generated_at.timestamp_subsec_nanos(), 0);
        let fixed = ReceiptRequest {
            lang: Some("pt-BR,all".into()),
            tz: Some("America/Sao_Paulo".into()),
            generated_at: Some("2026-11-02".into()),
            pdfa: true,
        }
        .validate()
        .unwrap();
        assert_eq!(fixed.langs.len(), 3);
        assert_eq!(fixed.generated_at.to_rfc3339(), "2026-11-02T03:00:00+00:00");
        let bad = ReceiptRequest {
            lang: Some("fr".into()),
            ..ReceiptRequest::default()
        };
        assert_eq!(
            bad.validate().unwrap_err().mistake,
            Mistake::UnknownLanguage
        );
    }
}
