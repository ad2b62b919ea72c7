//! The seeded generator: one row at a time, from bounded pools of earlier rows.

use chrono::DateTime;
use fastrand::Rng;

use super::catalog::*;
use super::draw::*;
use super::{ON_DEMAND_DAY, ON_DEMAND_ID, ON_DEMAND_MIN_ROWS, ON_DEMAND_NOON, SampleOptions};
use crate::model::{Currency, Money, Transaction, TxType};

/// A refund comes minutes to days after its payment, never in the same instant.
pub(super) const MIN_REFUND_LAG: i64 = 180;
pub(super) const MIN_DISPUTE_LAG: i64 = 6 * 3600;
/// Successful payments most recently made, the source of quick refunds.
pub(super) const RECENT_SLOTS: usize = 256;
/// Older successful payments, the source of refunds hours to days later.
pub(super) const POOL_SLOTS: usize = 4096;
/// Authorizations waiting for a capture or void; the oldest lapse.
pub(super) const AUTH_SLOTS: usize = 512;
/// How long, on average, a payment stays refundable in the pool.
const POOL_MEAN_AGE_SECS: u128 = 3 * 86_400;
/// Successful payments per thousand rows, as [`KINDS`] and [`PAYMENT_STATUSES`] give.
const SUCCESSFUL_PAYMENTS_PER_MILLE: u128 = 670;
/// Probabilities are fractions of 2^20.
const ONE: u32 = 1 << 20;
/// Multiplier of the per-day permutation of ID suffixes; coprime with 100,000.
const ID_STRIDE: u64 = 46_337;
/// Longest window accepted: chrono cannot represent times much further out.
pub(super) const MAX_DAYS: u32 = 36_600;

// ---------------------------------------------------------------------------------------------
// Generator state.

/// What a refund, capture or dispute needs to know about the transaction it refers to.
/// Descriptions are not stored but regenerated from `desc_seed`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Paid {
    id: u64,
    time: i64,
    amount: i64,
    /// Refunded so far, counting in-flight refunds, so none can take the total past `amount`.
    refunded: i64,
    desc_seed: u64,
    order_no: u32,
    merchant: u8,
    channel: u8,
    store: u8,
    sub_merchant: u8,
    agreement: bool,
}

impl Paid {
    fn remaining(&self) -> i64 {
        self.amount - self.refunded
    }

    fn channel(&self) -> &'static Channel {
        &MERCHANTS[self.merchant as usize].channels[self.channel as usize]
    }

    fn account(&self) -> &'static Account {
        &MERCHANTS[self.merchant as usize].accounts[self.channel().account as usize]
    }

    fn channel_currency(&self) -> CurrencyId {
        self.channel().currency
    }
}

/// A fixed-size FIFO; when full, a push evicts the oldest entry.
pub(super) struct Ring {
    pub(super) slots: Vec<Paid>,
    next: usize,
    cap: usize,
}

impl Ring {
    fn new(cap: usize) -> Ring {
        Ring {
            slots: Vec::with_capacity(cap),
            next: 0,
            cap,
        }
    }

    fn push(&mut self, entry: Paid) -> Option<Paid> {
        if self.slots.len() < self.cap {
            self.slots.push(entry);
            return None;
        }
        let evicted = std::mem::replace(&mut self.slots[self.next], entry);
        self.next = (self.next + 1) % self.cap;
        Some(evicted)
    }
}

/// A random live entry created at least `lag` seconds before `now`, in a few tries.
fn pick_live(rng: &mut Rng, slots: &[Paid], now: i64, lag: i64) -> Option<usize> {
    if slots.is_empty() {
        return None;
    }
    for _ in 0..4 {
        let i = rng.u32(..slots.len() as u32) as usize;
        if slots[i].remaining() > 0 && slots[i].time + lag <= now {
            return Some(i);
        }
    }
    None
}

#[derive(Clone, Copy)]
enum Slot {
    Recent(usize),
    Pool(usize),
}

struct OnDemand {
    row: u64,
    /// Only payments created before this are kept for the on-demand refund.
    cutoff: i64,
}

pub(super) struct Generator {
    rng: Rng,
    seed: u64,
    pub(super) currencies: [Currency; CURRENCIES.len()],
    exponents: [u8; CURRENCIES.len()],
    /// Decades each currency's price range spans, for log-scaled amounts.
    decades: [u32; CURRENCIES.len()],
    start: i64,
    span: u64,
    rows: u64,
    on_demand: Option<OnDemand>,
    day: i64,
    yyyymmdd: u64,
    day_salt: u64,
    day_count: u64,
    order_no: [u32; MERCHANTS.len()],
    pub(super) recent: Ring,
    pub(super) pool: Vec<Paid>,
    pub(super) auths: Ring,
    /// An Antom CurrencyId::Brl payment kept aside for the on-demand refund.
    reserved: Option<Paid>,
    /// Chance, in 2^-20, that a payment leaving `recent` enters the pool; set so that pool
    /// entries live about [`POOL_MEAN_AGE_SECS`] whatever the density of the sample.
    promote: u32,
}

impl Generator {
    pub(super) fn new(options: &SampleOptions) -> Generator {
        let mut rng = Rng::with_seed(options.seed);
        let currencies = CURRENCIES.map(|c| match Currency::parse(c.code) {
            Ok(currency) => currency,
            Err(e) => panic!("sample currency table: {e}"),
        });
        let exponents = currencies.map(|c| c.exponent());
        let decades = CURRENCIES.map(|c| {
            let (mut n, mut lo) = (0, c.min);
            while lo <= c.max {
                n += 1;
                lo *= 10;
            }
            n
        });
        let span = u64::from(options.days.clamp(1, MAX_DAYS)) * 86_400;
        let start = options.start.timestamp();
        let rows = options.rows.max(1);

        let on_demand = (options.rows >= ON_DEMAND_MIN_ROWS
            && start <= ON_DEMAND_NOON
            && ON_DEMAND_NOON < start + span as i64)
            .then(|| {
                // The row whose time slot holds noon: its time can be set to noon (if it
                // falls outside 2026-11-01) without breaking the time order.
                let row =
                    ((ON_DEMAND_NOON - start) as u128 * u128::from(rows) / u128::from(span)) as u64;
                let slot_start =
                    start + (u128::from(span) * u128::from(row) / u128::from(rows)) as i64;
                OnDemand {
                    row,
                    cutoff: slot_start - 3600,
                }
            });

        let payments_per_mean_age =
            u128::from(rows) * SUCCESSFUL_PAYMENTS_PER_MILLE * POOL_MEAN_AGE_SECS
                / (1000 * u128::from(span));
        let promote = if payments_per_mean_age <= POOL_SLOTS as u128 {
            ONE
        } else {
            ((POOL_SLOTS as u128 * u128::from(ONE)) / payments_per_mean_age) as u32
        };

        let order_no = std::array::from_fn(|_| rng.u32(100_000..900_000));
        Generator {
            rng,
            seed: options.seed,
            currencies,
            exponents,
            decades,
            start,
            span,
            rows,
            on_demand,
            day: i64::MIN,
            yyyymmdd: 0,
            day_salt: 0,
            day_count: 0,
            order_no,
            recent: Ring::new(RECENT_SLOTS),
            pool: Vec::with_capacity(POOL_SLOTS),
            auths: Ring::new(AUTH_SLOTS),
            reserved: None,
            promote,
        }
    }

    /// Row `row` falls at a random point of its own equal slice of the window, so times are
    /// spread evenly and never go backwards.
    fn time_of(&mut self, row: u64) -> i64 {
        let position = (u128::from(row) << 32) | u128::from(self.rng.u32(..));
        let offset = u128::from(self.span) * position / (u128::from(self.rows) << 32);
        self.start + offset as i64
    }

    /// A transaction to refill row after row.
    pub(super) fn blank(&self) -> Transaction {
        Transaction::blank(self.currencies[CurrencyId::Usd as usize])
    }

    pub(super) fn fill(&mut self, row: u64, tx: &mut Transaction) {
        let mut now = self.time_of(row);
        clear(tx);
        let on_demand_row = self.on_demand.as_ref().map(|o| o.row);
        if on_demand_row == Some(row) && yyyymmdd(now) != ON_DEMAND_DAY {
            now = ON_DEMAND_NOON;
        }
        self.fill_at(row, now, on_demand_row, tx);
        tx.payment_time = DateTime::from_timestamp(now, 0).unwrap_or_default();
    }

    fn fill_at(&mut self, row: u64, now: i64, on_demand_row: Option<u64>, tx: &mut Transaction) {
        if on_demand_row == Some(row) && self.refund(tx, now, true) {
            return;
        }
        if on_demand_row.is_some() && row == 0 {
            // Guarantees a candidate for the on-demand refund however few rows there are.
            self.payment(tx, now, Some((0, 0)));
            return;
        }
        let handled = match pick(&mut self.rng, &KINDS) {
            RowKind::Payment => false,
            RowKind::Refund => self.refund(tx, now, false),
            RowKind::Authorization => {
                self.authorization(tx, now);
                true
            }
            RowKind::Capture => self.capture_or_void(tx, now, false),
            RowKind::Void => self.capture_or_void(tx, now, true),
            RowKind::Dispute => self.dispute(tx, now),
        };
        if !handled {
            self.payment(tx, now, None);
        }
    }

    fn payment(&mut self, tx: &mut Transaction, now: i64, pinned: Option<(u8, u8)>) {
        let (merchant, channel) = pinned.unwrap_or_else(|| self.pick_channel(false));
        let paid = self.new_order(now, merchant, channel);
        let status = if pinned.is_some() {
            Outcome::Success
        } else {
            pick(&mut self.rng, &PAYMENT_STATUSES)
        };
        self.write_order(tx, &paid);
        tx.transaction_type = TxType::Payment;
        tx.status = status.tx();
        push_u64(&mut tx.transaction_id, paid.id);
        self.request_id(&mut tx.transaction_request_id, "req_");
        self.acquirer_ref(tx, &paid, RowKind::Payment, now);
        tx.amount = Money::new(paid.amount, self.currency_of(&paid));
        let reasons = reasons(MERCHANTS[paid.merchant as usize].lang);
        match status {
            Outcome::Success => {
                self.settle(tx, &paid, paid.amount);
                self.keep_payment(paid);
            }
            // A MethodId::Pix charge fails by not being paid in time, not by an issuer's decline.
            Outcome::Fail if paid.channel().method == MethodId::Pix => {
                tx.reason.push_str("PIX expirado sem pagamento");
            }
            Outcome::Fail => tx
                .reason
                .push_str(choose(&mut self.rng, reasons.payment_fail)),
            Outcome::Cancelled => tx.reason.push_str(choose(&mut self.rng, reasons.cancelled)),
            Outcome::Processing | Outcome::Pending => {}
        }
    }

    fn authorization(&mut self, tx: &mut Transaction, now: i64) {
        let (merchant, channel) = self.pick_channel(true);
        let auth = self.new_order(now, merchant, channel);
        let status = pick(&mut self.rng, &AUTH_STATUSES);
        self.write_order(tx, &auth);
        tx.transaction_type = TxType::Authorization;
        tx.status = status.tx();
        push_u64(&mut tx.transaction_id, auth.id);
        self.request_id(&mut tx.transaction_request_id, "req_");
        self.acquirer_ref(tx, &auth, RowKind::Authorization, now);
        tx.amount = Money::new(auth.amount, self.currency_of(&auth));
        if status == Outcome::Success {
            // An authorization pushed out unused has simply lapsed.
            let _ = self.auths.push(auth);
        } else {
            let reasons = reasons(MERCHANTS[auth.merchant as usize].lang);
            tx.reason
                .push_str(choose(&mut self.rng, reasons.payment_fail));
        }
    }

    /// A capture (positive, at most the authorized amount) or a void (minus the authorized
    /// amount) of an earlier successful authorization, which is then used up.
    fn capture_or_void(&mut self, tx: &mut Transaction, now: i64, void: bool) -> bool {
        let Some(i) = pick_live(&mut self.rng, &self.auths.slots, now, MIN_REFUND_LAG) else {
            return false;
        };
        let auth = self.auths.slots[i];
        self.auths.slots[i].refunded = auth.amount;
        let id = self.next_id(now);
        self.write_order(tx, &auth);
        push_u64(&mut tx.transaction_id, id);
        push_u64(&mut tx.original_transaction_id, auth.id);
        let currency = self.currency_of(&auth);
        if void {
            let status = pick(&mut self.rng, &VOID_STATUSES);
            tx.transaction_type = TxType::Void;
            tx.status = status.tx();
            self.request_id(&mut tx.transaction_request_id, "void_");
            self.acquirer_ref(tx, &auth, RowKind::Void, now);
            tx.amount = Money::new(-auth.amount, currency);
            let reasons = reasons(MERCHANTS[auth.merchant as usize].lang);
            tx.reason.push_str(choose(&mut self.rng, reasons.void));
        } else {
            let status = pick(&mut self.rng, &CAPTURE_STATUSES);
            let amount = if self.rng.u32(..100) < 85 {
                auth.amount
            } else {
                self.part_of(auth.amount, auth.channel_currency(), 50..100)
            };
            tx.transaction_type = TxType::Capture;
            tx.status = status.tx();
            self.request_id(&mut tx.transaction_request_id, "cap_");
            self.acquirer_ref(tx, &auth, RowKind::Capture, now);
            tx.amount = Money::new(amount, currency);
            match status {
                Outcome::Success => self.settle(tx, &auth, amount),
                Outcome::Fail => {
                    let reasons = reasons(MERCHANTS[auth.merchant as usize].lang);
                    tx.reason
                        .push_str(choose(&mut self.rng, reasons.payment_fail));
                }
                _ => {}
            }
        }
        true
    }

    /// A refund of an earlier successful payment; `on_demand` makes it the successful refund
    /// with the fixed ID.
    fn refund(&mut self, tx: &mut Transaction, now: i64, on_demand: bool) -> bool {
        let (mut paid, slot) = match self
            .reserved
            .filter(|p| on_demand && p.time + MIN_REFUND_LAG <= now)
        {
            Some(reserved) => {
                self.reserved = None;
                (reserved, None)
            }
            None => match self.pick_refundable(now) {
                Some(slot) => (*self.slot(slot), Some(slot)),
                None => return false,
            },
        };
        let status = if on_demand {
            Outcome::Success
        } else {
            pick(&mut self.rng, &REFUND_STATUSES)
        };

        let remaining = paid.remaining();
        let amount = if paid.refunded == 0 && (remaining < 2 || self.rng.u32(..100) < 45) {
            paid.amount
        } else if paid.refunded > 0 && (remaining < 2 || self.rng.u32(..100) < 30) {
            // The rest of a partly refunded payment.
            remaining
        } else {
            self.part_of(remaining, paid.channel_currency(), 10..91)
        };
        if status != Outcome::Fail {
            paid.refunded += amount;
        }
        match slot {
            Some(slot) => {
                *self.slot_mut(slot) = paid;
                self.release(slot);
            }
            // The reserved payment has served; whatever is left of it is refundable as usual.
            None if paid.remaining() > 0 => self.keep_recent(paid),
            None => {}
        }

        let id = if on_demand {
            ON_DEMAND_ID
        } else {
            self.next_id(now)
        };
        self.write_order(tx, &paid);
        tx.transaction_type = TxType::Refund;
        tx.status = status.tx();
        push_u64(&mut tx.transaction_id, id);
        push_u64(&mut tx.original_transaction_id, paid.id);
        self.request_id(&mut tx.transaction_request_id, "rfd_");
        self.acquirer_ref(tx, &paid, RowKind::Refund, now);
        tx.amount = Money::new(-amount, self.currency_of(&paid));
        tx.refund_type.push_str(if amount == paid.amount {
            "total"
        } else {
            "partial"
        });
        let reasons = reasons(MERCHANTS[paid.merchant as usize].lang);
        tx.reason.push_str(choose(&mut self.rng, reasons.refund));
        if status == Outcome::Fail {
            tx.reject_reason
                .push_str(choose(&mut self.rng, reasons.refund_reject));
        }
        true
    }

    /// A chargeback of what is left of an earlier payment, which can then no longer be
    /// refunded: a payment never pays out more than it took.
    fn dispute(&mut self, tx: &mut Transaction, now: i64) -> bool {
        let slot = match pick_live(&mut self.rng, &self.pool, now, MIN_DISPUTE_LAG) {
            Some(i) => Slot::Pool(i),
            None => match pick_live(&mut self.rng, &self.recent.slots, now, MIN_DISPUTE_LAG) {
                Some(i) => Slot::Recent(i),
                None => return false,
            },
        };
        let paid = *self.slot(slot);
        let remaining = paid.remaining();
        self.slot_mut(slot).refunded = paid.amount;
        self.release(slot);
        let id = self.next_id(now);
        self.write_order(tx, &paid);
        tx.transaction_type = TxType::Dispute;
        tx.status = pick(&mut self.rng, &DISPUTE_STATUSES).tx();
        push_u64(&mut tx.transaction_id, id);
        push_u64(&mut tx.original_transaction_id, paid.id);
        self.acquirer_ref(tx, &paid, RowKind::Dispute, now);
        tx.amount = Money::new(-remaining, self.currency_of(&paid));
        tx.reason.push_str(choose(&mut self.rng, &DISPUTE_REASONS));
        true
    }

    fn pick_refundable(&mut self, now: i64) -> Option<Slot> {
        let recent_first = self.pool.is_empty() || self.rng.u32(..100) < 20;
        let from_recent = |g: &mut Generator| {
            pick_live(&mut g.rng, &g.recent.slots, now, MIN_REFUND_LAG).map(Slot::Recent)
        };
        let from_pool =
            |g: &mut Generator| pick_live(&mut g.rng, &g.pool, now, MIN_REFUND_LAG).map(Slot::Pool);
        if recent_first {
            from_recent(self).or_else(|| from_pool(self))
        } else {
            from_pool(self).or_else(|| from_recent(self))
        }
    }

    fn slot(&self, slot: Slot) -> &Paid {
        match slot {
            Slot::Recent(i) => &self.recent.slots[i],
            Slot::Pool(i) => &self.pool[i],
        }
    }

    fn slot_mut(&mut self, slot: Slot) -> &mut Paid {
        match slot {
            Slot::Recent(i) => &mut self.recent.slots[i],
            Slot::Pool(i) => &mut self.pool[i],
        }
    }

    /// Drops a pool entry once nothing is left to refund; a dead `recent` entry simply waits
    /// to be pushed out.
    fn release(&mut self, slot: Slot) {
        match slot {
            Slot::Recent(_) => {}
            Slot::Pool(i) => {
                if self.pool[i].remaining() <= 0 {
                    self.pool.swap_remove(i);
                }
            }
        }
    }

    fn keep_payment(&mut self, paid: Paid) {
        if let Some(on_demand) = &self.on_demand
            && paid.time <= on_demand.cutoff
            && paid.account().acquirer == AcquirerId::Antom
            && paid.channel_currency() == CurrencyId::Brl
            && (self.reserved.is_none() || self.rng.u32(..100) < 25)
        {
            if let Some(previous) = self.reserved.replace(paid) {
                self.keep_recent(previous);
            }
            return;
        }
        self.keep_recent(paid);
    }

    fn keep_recent(&mut self, paid: Paid) {
        if let Some(old) = self.recent.push(paid)
            && old.remaining() > 0
            && self.rng.u32(..ONE) < self.promote
        {
            if self.pool.len() < POOL_SLOTS {
                self.pool.push(old);
            } else {
                let i = self.rng.u32(..POOL_SLOTS as u32) as usize;
                self.pool[i] = old;
            }
        }
    }

    fn pick_channel(&mut self, card_only: bool) -> (u8, u8) {
        let total: u32 = MERCHANTS.iter().map(|m| m.weight).sum();
        let mut r = self.rng.u32(..total);
        let mut merchant = MERCHANTS.len() - 1;
        for (i, m) in MERCHANTS.iter().enumerate() {
            if r < m.weight {
                merchant = i;
                break;
            }
            r -= m.weight;
        }
        let eligible = |c: &Channel| !card_only || c.method == MethodId::Card;
        let channels = MERCHANTS[merchant].channels;
        let total: u32 = channels
            .iter()
            .filter(|c| eligible(c))
            .map(|c| c.weight)
            .sum();
        let mut r = self.rng.u32(..total.max(1));
        let mut channel = 0;
        for (i, c) in channels.iter().enumerate().filter(|(_, c)| eligible(c)) {
            channel = i;
            if r < c.weight {
                break;
            }
            r -= c.weight;
        }
        (merchant as u8, channel as u8)
    }

    fn new_order(&mut self, now: i64, merchant: u8, channel: u8) -> Paid {
        let m = &MERCHANTS[merchant as usize];
        let c = &m.channels[channel as usize];
        let amount = self.amount(c.currency);
        let id = self.next_id(now);
        // Merchants number orders in sequence; other shoppers' orders fill the gaps.
        let step = 1 + self.rng.u32(..3);
        let order_no = &mut self.order_no[merchant as usize];
        *order_no = order_no.wrapping_add(step) % 10_000_000;
        let order_no = *order_no;
        Paid {
            id,
            time: now,
            amount,
            refunded: 0,
            desc_seed: self.rng.u64(..),
            order_no,
            merchant,
            channel,
            store: index(&mut self.rng, m.stores.len()),
            sub_merchant: index(&mut self.rng, m.sub_merchants.len()),
            agreement: c.method.spec().agreement && self.rng.u32(..100) < 15,
        }
    }

    /// A price in minor units: log-scaled (small amounts far more common than large ones),
    /// on the currency's price step, two-decimal prices mostly ending .99, .90 or .00.
    fn amount(&mut self, currency: CurrencyId) -> i64 {
        let spec = currency.spec();
        let decades = self.decades[currency as usize];
        // Decade k (from the smallest) weighs decades - k.
        let mut r = self.rng.u32(..decades * (decades + 1) / 2);
        let mut decade = 0;
        while r >= decades - decade {
            r -= decades - decade;
            decade += 1;
        }
        let lo = spec.min * 10i64.pow(decade);
        let hi = (lo * 10).min(spec.max + 1);
        let mut amount = self.rng.i64(lo..hi) / spec.step * spec.step;
        if spec.step == 1 && self.exponents[currency as usize] == 2 {
            let whole = amount / 100 * 100;
            amount = match self.rng.u32(..10) {
                0..4 => whole + 99,
                4..6 => whole + 90,
                6..8 => whole.max(100),
                _ => amount,
            };
        }
        amount.clamp(spec.min, spec.max)
    }

    /// `percent` of `amount`, on the currency's price step where that leaves something, and
    /// always at least one minor unit and less than `amount`.
    fn part_of(&mut self, amount: i64, currency: CurrencyId, percent: std::ops::Range<u32>) -> i64 {
        if amount < 2 {
            return amount;
        }
        let step = currency.spec().step;
        let mut part = (i128::from(amount) * i128::from(self.rng.u32(percent)) / 100) as i64;
        if part >= step {
            part = part / step * step;
        }
        part.clamp(1, amount - 1)
    }

    fn currency_of(&self, paid: &Paid) -> Currency {
        self.currencies[paid.channel_currency() as usize]
    }

    /// Settlement in the merchant's settlement currency at fixed rates, and the acquirer's fee
    /// on it.
    fn settle(&self, tx: &mut Transaction, paid: &Paid, amount: i64) {
        let merchant = &MERCHANTS[paid.merchant as usize];
        let channel = &merchant.channels[paid.channel as usize];
        let from = channel.currency;
        let to = merchant.settles_in.unwrap_or(from);
        let settled = if from == to {
            amount
        } else {
            let num = i128::from(amount)
                * i128::from(from.spec().usd_nano)
                * 10i128.pow(u32::from(self.exponents[to as usize]));
            let den = 10i128.pow(u32::from(self.exponents[from as usize]))
                * i128::from(to.spec().usd_nano);
            ((num + den / 2) / den) as i64
        };
        let fee_bps = channel.method.spec().fee_bps;
        let fee = ((i128::from(settled) * i128::from(fee_bps) + 5_000) / 10_000).max(1) as i64;
        tx.settlement = Some(Money::new(settled, self.currencies[to as usize]));
        tx.fee = Some(Money::new(fee, self.currencies[to as usize]));
    }

    /// The fields a transaction shares with the order it belongs to.
    fn write_order(&self, tx: &mut Transaction, paid: &Paid) {
        let merchant = &MERCHANTS[paid.merchant as usize];
        let channel = &merchant.channels[paid.channel as usize];
        let account = &merchant.accounts[channel.account as usize];
        let method = channel.method.spec();
        tx.customer_id.push_str(account.customer_id);
        tx.acquirer.push_str(account.acquirer.name());
        if let Some(sub) = merchant.sub_merchants.get(paid.sub_merchant as usize) {
            tx.reference_merchant_id.push_str(sub);
        }
        if let Some(store) = merchant.stores.get(paid.store as usize) {
            tx.reference_store_id.push_str(store);
        }
        tx.reference_transaction_id.push_str("ORD-");
        tx.reference_transaction_id.push_str(merchant.code);
        tx.reference_transaction_id.push('-');
        push_padded(
            &mut tx.reference_transaction_id,
            u64::from(paid.order_no),
            7,
        );
        write_description(&mut tx.order_description, paid);
        tx.payment_method_type.push_str(method.code);
        tx.psp_name.push_str(method.psp);
        tx.product_code.push_str(if paid.agreement {
            "AGREEMENT_PAYMENT"
        } else {
            "CASHIER_PAYMENT"
        });
        tx.merchant_name.push_str(merchant.name);
    }

    /// `prefix` and 20 random lower-case letters and digits: unique in practice.
    fn request_id(&mut self, out: &mut String, prefix: &str) {
        out.push_str(prefix);
        push_random(&mut self.rng, out, LOWER_ALNUM, 20);
    }

    /// The acquirer's own ID for a transaction of `paid`'s order, in that acquirer's shape.
    fn acquirer_ref(&mut self, tx: &mut Transaction, paid: &Paid, kind: RowKind, now: i64) {
        let acquirer = paid.account().acquirer;
        let day = self.yyyymmdd_of(now);
        let out = &mut tx.acquirer_reference_no;
        let rng = &mut self.rng;
        match acquirer {
            AcquirerId::Antom => {
                push_u64(out, day);
                push_random(rng, out, DIGITS, 16);
            }
            AcquirerId::Adyen => push_random(rng, out, UPPER_ALNUM, 16),
            AcquirerId::Stripe => {
                out.push_str(match kind {
                    RowKind::Refund => "re_3",
                    RowKind::Dispute => "du_1",
                    RowKind::Authorization | RowKind::Void => "pi_3",
                    RowKind::Payment | RowKind::Capture => "ch_3",
                });
                push_random(rng, out, MIXED_ALNUM, 24);
            }
            AcquirerId::Checkout => {
                out.push_str(match kind {
                    RowKind::Refund | RowKind::Capture | RowKind::Void => "act_",
                    RowKind::Dispute => "dsp_",
                    RowKind::Payment | RowKind::Authorization => "pay_",
                });
                push_random(rng, out, BASE32, 26);
            }
            AcquirerId::Braintree => push_random(rng, out, LOWER_ALNUM, 8),
            AcquirerId::PayPal => push_random(rng, out, UPPER_ALNUM, 17),
            _ => {
                for (i, len) in [8, 4, 4, 4, 12].into_iter().enumerate() {
                    if i > 0 {
                        out.push('-');
                    }
                    push_random(rng, out, HEX, len);
                }
            }
        }
    }

    fn yyyymmdd_of(&self, secs: i64) -> u64 {
        if secs.div_euclid(86_400) == self.day {
            return self.yyyymmdd;
        }
        yyyymmdd(secs)
    }

    /// Switches the ID counter to `secs`'s UTC day; returns that day as YYYYMMDD.
    fn set_day(&mut self, secs: i64) -> u64 {
        let day = secs.div_euclid(86_400);
        if day != self.day {
            self.day = day;
            self.yyyymmdd = yyyymmdd(secs);
            self.day_count = 0;
            self.day_salt = splitmix(self.seed ^ (day as u64)) % 100_000;
        }
        self.yyyymmdd
    }

    /// The next transaction ID of `secs`'s day: YYYYMMDD and five digits, shuffled within the
    /// day so IDs do not give away the order of transactions. Past 100,000 transactions in a
    /// day the suffix grows to six digits and more, which keeps IDs unique.
    fn next_id(&mut self, secs: i64) -> u64 {
        let date = self.set_day(secs);
        loop {
            let n = self.day_count;
            self.day_count += 1;
            let id = if n < 100_000 {
                date * 100_000 + (n * ID_STRIDE + self.day_salt) % 100_000
            } else {
                date * 10u64.pow(n.ilog10() + 1) + n
            };
            if id != ON_DEMAND_ID || self.on_demand.is_none() {
                return id;
            }
        }
    }
}

pub(super) fn clear(tx: &mut Transaction) {
    for s in [
        &mut tx.customer_id,
        &mut tx.acquirer,
        &mut tx.acquirer_reference_no,
        &mut tx.reference_merchant_id,
        &mut tx.reference_store_id,
        &mut tx.transaction_id,
        &mut tx.original_transaction_id,
        &mut tx.transaction_request_id,
        &mut tx.reference_transaction_id,
        &mut tx.order_description,
        &mut tx.payment_method_type,
        &mut tx.psp_name,
        &mut tx.product_code,
        &mut tx.reason,
        &mut tx.order_id,
        &mut tx.bank_code,
        &mut tx.refund_type,
        &mut tx.reject_reason,
        &mut tx.merchant_name,
    ] {
        s.clear();
    }
    tx.settlement = None;
    tx.fee = None;
}

/// An order's description, rebuilt from its seed so refunds repeat their payment's text
/// without the pools storing strings.
fn write_description(out: &mut String, paid: &Paid) {
    let mut rng = Rng::with_seed(paid.desc_seed);
    let merchant = &MERCHANTS[paid.merchant as usize];
    match rng.u32(..1000) {
        0..30 => out.push_str(choose(&mut rng, &FORMULA_DESCRIPTIONS)),
        30..55 => out.push_str(choose(&mut rng, &QUOTED_DESCRIPTIONS)),
        55..80 => out.push_str(choose(&mut rng, &MULTILINE_DESCRIPTIONS)),
        80..130 => write_long_description(out, &mut rng, merchant),
        130..150 => {}
        150..250 => out.push_str(choose(&mut rng, &GENERIC_DESCRIPTIONS)),
        250..400 => {
            out.push_str(match merchant.lang {
                TextLang::Pt => "Pedido nº ",
                TextLang::Zh => "订单号 ",
                TextLang::En => "Order #",
                TextLang::Vi => "Đơn hàng #",
                TextLang::Ja => "ご注文番号 ",
                TextLang::Ko => "주문번호 ",
                TextLang::Id => "Pesanan #",
            });
            push_padded(out, u64::from(paid.order_no), 7);
        }
        _ => {
            let count = choose(&mut rng, &[1, 1, 1, 2, 2, 3, 4]);
            for i in 0..count {
                push_item(out, &mut rng, merchant, i > 0);
            }
        }
    }
}

/// Items until the 256-character limit: half the time cut exactly at the limit (as a gateway
/// truncates), half the time ending at the last whole item that fits.
fn write_long_description(out: &mut String, rng: &mut Rng, merchant: &Merchant) {
    const LIMIT: usize = 256;
    let cut_at_limit = rng.bool();
    let mut chars = 0;
    loop {
        let before = out.len();
        push_item(out, rng, merchant, before > 0);
        chars += out[before..].chars().count();
        if chars > LIMIT {
            if cut_at_limit {
                let end = out.char_indices().nth(LIMIT).map_or(out.len(), |(i, _)| i);
                out.truncate(end);
            } else {
                out.truncate(before);
            }
            return;
        }
    }
}

fn push_item(out: &mut String, rng: &mut Rng, merchant: &Merchant, separator: bool) {
    let item = choose(rng, merchant.items);
    let quantity = choose(rng, &[1u64, 1, 1, 1, 2, 2, 3, 6]);
    match merchant.lang {
        TextLang::Zh | TextLang::Ja => {
            if separator {
                out.push_str(if merchant.lang == TextLang::Zh {
                    "，"
                } else {
                    "、"
                });
            }
            out.push_str(item);
            out.push('×');
            push_u64(out, quantity);
        }
        TextLang::Ko => {
            if separator {
                out.push_str(", ");
            }
            out.push_str(item);
            out.push(' ');
            push_u64(out, quantity);
            out.push('개');
        }
        _ => {
            if separator {
                out.push_str(", ");
            }
            push_u64(out, quantity);
            out.push_str("x ");
            out.push_str(item);
        }
    }
}
