-- Reconciliation asks whether any message, of any organization, already holds a Twilio SID
-- (two clinics may share one Twilio account); the (org_id, twilio_sid) index cannot answer that.
CREATE INDEX messages_by_sid ON messages (twilio_sid);
