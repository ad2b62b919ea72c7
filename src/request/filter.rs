//! Which transactions a request selects.

use chrono_tz::Tz;
use serde::Deserialize;

use super::values::{CurrencyList, TimeBound, Zone};
use super::{Mistake, Setting, SettingError};
use crate::filter::{Filter, Shard};
use crate::model::{TxStatus, TxType};

/// A filter as text, from any front end; lists may hold comma-separated items. Job files
/// deserialize it directly (`[filter]`), with `tz` coming from the job's `zone`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FilterRequest {
    pub tz: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub currency: Vec<String>,
    #[serde(alias = "types")]
    pub r#type: Vec<String>,
    pub method: Vec<String>,
    pub acquirer: Vec<String>,
    pub status: Vec<String>,
    pub id: Vec<String>,
    pub related: Option<String>,
    pub shard: Option<String>,
}

impl FilterRequest {
    /// The zone bare dates and outputs use: `tz`, UTC when absent.
    pub fn zone(&self) -> Result<Tz, SettingError> {
        match &self.tz {
            Some(text) => text.parse::<Zone>().map(|z| z.0),
            None => Ok(Zone::default().0),
        }
    }

    pub fn validate(&self) -> Result<Filter, SettingError> {
        let zone = self.zone()?;
        let bound = |setting: Setting, text: &Option<String>| {
            text.as_deref()
                .map(|t| TimeBound::parse(setting, t)?.resolve(setting, zone))
                .transpose()
        };
        let from = bound(Setting::From, &self.from)?;
        let to = bound(Setting::To, &self.to)?;
        if let (Some(f), Some(t)) = (from, to)
            && f >= t
        {
            return Err(SettingError::new(
                Setting::From,
                Mistake::EmptyWindow,
                format!("{f} must be before `to` ({t})"),
            ));
        }
        Ok(Filter {
            from,
            to,
            currencies: CurrencyList::parse(&self.currency)?.0,
            types: items(&self.r#type).map(TxType::parse).collect(),
            methods: items(&self.method).map(str::to_string).collect(),
            acquirers: items(&self.acquirer).map(str::to_string).collect(),
            statuses: items(&self.status).map(TxStatus::parse).collect(),
            ids: items(&self.id).map(str::to_string).collect(),
            related: self
                .related
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_string),
            shard: self.shard.as_deref().map(str::parse::<Shard>).transpose()?,
        })
    }
}

/// The non-blank items of a list whose entries may themselves be comma-separated.
fn items(list: &[String]) -> impl Iterator<Item = &str> {
    list.iter()
        .flat_map(|item| item.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_request_selects_everything_in_utc() {
        let request = FilterRequest::default();
        assert_eq!(request.zone().unwrap(), Tz::UTC);
        assert_eq!(request.validate().unwrap(), Filter::default());
    }

    #[test]
    fn lists_take_commas_and_blanks_are_dropped() {
        let request = FilterRequest {
            r#type: vec!["REFUND, payment".into(), " ".into()],
            currency: vec!["brl".into()],
            id: vec!["A,B".into()],
            ..FilterRequest::default()
        };
        let filter = request.validate().unwrap();
        assert_eq!(filter.types, [TxType::Refund, TxType::Payment]);
        assert_eq!(filter.ids, ["A".to_string(), "B".to_string()].into());
        assert_eq!(filter.currencies.len(), 1);
    }

    #[test]
    fn a_window_that_ends_before_it_starts_is_refused() {
        let request = FilterRequest {
            from: Some("2026-10-02".into()),
            to: Some("2026-10-01".into()),
            ..FilterRequest::default()
        };
        assert_eq!(
            request.validate().unwrap_err().mistake,
            Mistake::EmptyWindow
        );
    }
}
