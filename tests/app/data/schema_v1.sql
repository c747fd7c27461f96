-- The labelwise app schema at version 1 (labelwise 0.x before issue 14), for the upgrade test.
CREATE TABLE meta (
	"key" VARCHAR(64) NOT NULL, 
	value TEXT, 
	PRIMARY KEY ("key")
);
CREATE TABLE users (
	id INTEGER NOT NULL, 
	username VARCHAR(64) NOT NULL, 
	password_hash TEXT NOT NULL, 
	role VARCHAR(16) NOT NULL, 
	active INTEGER DEFAULT '1' NOT NULL, 
	created_at FLOAT NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (username)
);
CREATE TABLE projects (
	id INTEGER NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	description TEXT DEFAULT '' NOT NULL, 
	config TEXT NOT NULL, 
	overlap INTEGER DEFAULT '1' NOT NULL, 
	queue_order VARCHAR(16) DEFAULT 'sequential' NOT NULL, 
	seed INTEGER DEFAULT '0' NOT NULL, 
	created_at FLOAT NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (name)
);
CREATE TABLE tokens (
	id INTEGER NOT NULL, 
	user_id INTEGER NOT NULL, 
	token_hash VARCHAR(64) NOT NULL, 
	name VARCHAR(64) NOT NULL, 
	created_at FLOAT NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE, 
	UNIQUE (token_hash)
);
CREATE INDEX ix_tokens_user_id ON tokens (user_id);
CREATE TABLE sessions (
	token_hash VARCHAR(64) NOT NULL, 
	user_id INTEGER NOT NULL, 
	csrf VARCHAR(64) NOT NULL, 
	expires_at FLOAT NOT NULL, 
	PRIMARY KEY (token_hash), 
	FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_sessions_user_id ON sessions (user_id);
CREATE TABLE members (
	project_id INTEGER NOT NULL, 
	user_id INTEGER NOT NULL, 
	PRIMARY KEY (project_id, user_id), 
	FOREIGN KEY(project_id) REFERENCES projects (id) ON DELETE CASCADE, 
	FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_members_user_id ON members (user_id);
CREATE TABLE tasks (
	id INTEGER NOT NULL, 
	project_id INTEGER NOT NULL, 
	item_id VARCHAR(200) NOT NULL, 
	data TEXT NOT NULL, 
	queue_key FLOAT NOT NULL, 
	overlap INTEGER NOT NULL, 
	n_done INTEGER DEFAULT '0' NOT NULL, 
	open INTEGER DEFAULT '1' NOT NULL, 
	gold TEXT, 
	gold_by INTEGER, 
	created_at FLOAT NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_task_item UNIQUE (project_id, item_id), 
	FOREIGN KEY(project_id) REFERENCES projects (id) ON DELETE CASCADE
);
CREATE INDEX ix_tasks_queue ON tasks (project_id, queue_key, id) WHERE open = 1;
CREATE TABLE annotations (
	id INTEGER NOT NULL, 
	task_id INTEGER NOT NULL, 
	project_id INTEGER NOT NULL, 
	user_id INTEGER NOT NULL, 
	submission_id VARCHAR(64) NOT NULL, 
	result TEXT NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	lead_time FLOAT, 
	created_at FLOAT NOT NULL, 
	updated_at FLOAT NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_annotation_task_user UNIQUE (task_id, user_id), 
	FOREIGN KEY(task_id) REFERENCES tasks (id) ON DELETE CASCADE, 
	FOREIGN KEY(user_id) REFERENCES users (id), 
	UNIQUE (submission_id)
);
CREATE INDEX ix_annotations_project_status ON annotations (project_id, status);
CREATE INDEX ix_annotations_project_user ON annotations (project_id, user_id, created_at);
CREATE TABLE predictions (
	id INTEGER NOT NULL, 
	task_id INTEGER NOT NULL, 
	source VARCHAR(100) NOT NULL, 
	result TEXT NOT NULL, 
	score FLOAT, 
	created_at FLOAT NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_prediction_task_source UNIQUE (task_id, source), 
	FOREIGN KEY(task_id) REFERENCES tasks (id) ON DELETE CASCADE
);
CREATE TABLE skips (
	task_id INTEGER NOT NULL, 
	user_id INTEGER NOT NULL, 
	created_at FLOAT NOT NULL, 
	PRIMARY KEY (task_id, user_id), 
	FOREIGN KEY(task_id) REFERENCES tasks (id) ON DELETE CASCADE, 
	FOREIGN KEY(user_id) REFERENCES users (id)
);
CREATE TABLE reviews (
	id INTEGER NOT NULL, 
	annotation_id INTEGER NOT NULL, 
	reviewer_id INTEGER NOT NULL, 
	action VARCHAR(16) NOT NULL, 
	comment TEXT DEFAULT '' NOT NULL, 
	"before" TEXT, 
	created_at FLOAT NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(annotation_id) REFERENCES annotations (id) ON DELETE CASCADE, 
	FOREIGN KEY(reviewer_id) REFERENCES users (id)
);
CREATE INDEX ix_reviews_annotation_id ON reviews (annotation_id);
INSERT INTO meta (key, value) VALUES ('schema_version', '1');
