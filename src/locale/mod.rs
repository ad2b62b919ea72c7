//! Localized strings (fluent), numbers, money and dates (ICU4X, CLDR data).
