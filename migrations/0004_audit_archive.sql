CREATE TABLE `audit_archives` (
	`agent_id` text NOT NULL,
	`first_seq` integer NOT NULL,
	`last_seq` integer NOT NULL,
	`day` text NOT NULL,
	`count` integer NOT NULL,
	`first_at` integer NOT NULL,
	`last_at` integer NOT NULL,
	`last_hash` text NOT NULL,
	`object_key` text NOT NULL,
	`object_sha256` text NOT NULL,
	`digest_key` text NOT NULL,
	`digest_sha256` text NOT NULL,
	`previous_digest_sha256` text NOT NULL,
	`archived_at` integer NOT NULL,
	`deleted_at` integer,
	PRIMARY KEY(`agent_id`, `first_seq`)
);
--> statement-breakpoint
CREATE INDEX `audit_archives_agent_last` ON `audit_archives` (`agent_id`,`last_seq`);--> statement-breakpoint
CREATE TABLE `legal_holds` (
	`agent_id` text PRIMARY KEY NOT NULL,
	`reason` text NOT NULL,
	`actor` text NOT NULL,
	`at` integer NOT NULL
);
