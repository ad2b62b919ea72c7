//! `recibo serve` (in progress).
