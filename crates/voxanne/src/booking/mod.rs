//! Booking appointments into the clinic's connected Google Calendar: the free slots, and
//! appointments booked exactly once.

pub mod availability;
