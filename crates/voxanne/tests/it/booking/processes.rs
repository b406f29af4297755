//! Real `voxanne serve` processes: kill -9 in the middle of a burst of bookings, then a restart;
//! two servers on one PostgreSQL database.
