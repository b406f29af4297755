-- Who started a Google connect (an admin's e-mail, an API key's name, or "CLI"), so that the
-- audit log can name them when Google's consent page sends the browser back without any
-- credentials of ours. Names only, never a secret.
ALTER TABLE oauth_states ADD COLUMN started_by_kind TEXT;
ALTER TABLE oauth_states ADD COLUMN started_by TEXT;
