-- The schema of a ward-faq database made before migrations (sqlite), as create_all made it.
CREATE TABLE audit_entries (
	id INTEGER NOT NULL,
	at DATETIME NOT NULL,
	staff VARCHAR(64) NOT NULL,
	ward VARCHAR(16),
	action VARCHAR(32) NOT NULL,
	target TEXT,
	detail TEXT,
	PRIMARY KEY (id)
);

CREATE INDEX ix_audit_entries_at ON audit_entries (at);

CREATE TABLE faq_entries (
	id INTEGER NOT NULL,
	ward VARCHAR(16) NOT NULL,
	question TEXT NOT NULL,
	answer TEXT NOT NULL,
	department VARCHAR(100),
	retired BOOLEAN NOT NULL,
	created_by VARCHAR(64),
	created_at DATETIME NOT NULL,
	updated_at DATETIME NOT NULL,
	PRIMARY KEY (id)
);

CREATE TABLE index_revision (
	id INTEGER NOT NULL,
	revision INTEGER NOT NULL,
	PRIMARY KEY (id)
);

CREATE TABLE line_events (
	webhook_event_id VARCHAR(64) NOT NULL,
	handled_at DATETIME NOT NULL,
	PRIMARY KEY (webhook_event_id)
);

CREATE TABLE login_attempts (
	name VARCHAR(64) NOT NULL,
	failures INTEGER NOT NULL,
	locked_until DATETIME,
	PRIMARY KEY (name)
);

CREATE TABLE phrasings (
	id INTEGER NOT NULL,
	unit_id VARCHAR(64) NOT NULL,
	text TEXT NOT NULL,
	created_by VARCHAR(64),
	created_at DATETIME NOT NULL,
	PRIMARY KEY (id)
);

CREATE INDEX ix_phrasings_unit_id ON phrasings (unit_id);

CREATE TABLE questions (
	id VARCHAR(32) NOT NULL,
	asked_at DATETIME NOT NULL,
	channel VARCHAR(8) NOT NULL,
	ward VARCHAR(16),
	session VARCHAR(100),
	text TEXT NOT NULL,
	resolved BOOLEAN NOT NULL,
	small_talk BOOLEAN NOT NULL,
	answer TEXT NOT NULL,
	top_unit_id VARCHAR(64),
	top_score FLOAT,
	helpful BOOLEAN,
	feedback_at DATETIME,
	status VARCHAR(16) NOT NULL,
	status_note TEXT,
	PRIMARY KEY (id)
);

CREATE INDEX ix_questions_asked_at ON questions (asked_at);

CREATE INDEX ix_questions_ward ON questions (ward);

CREATE TABLE staff_users (
	id INTEGER NOT NULL,
	name VARCHAR(64) NOT NULL,
	ward VARCHAR(16) NOT NULL,
	password_hash VARCHAR(255) NOT NULL,
	created_at DATETIME NOT NULL,
	last_login_at DATETIME,
	PRIMARY KEY (id),
	UNIQUE (name)
);

INSERT INTO index_revision (id, revision) VALUES (1, 0);
