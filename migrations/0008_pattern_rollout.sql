CREATE TABLE `pattern_samples` (
	`interaction_id` text NOT NULL,
	`kind` text NOT NULL,
	`pattern_id` text NOT NULL,
	`agent_id` text NOT NULL,
	`error` integer NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`interaction_id`, `kind`)
);
--> statement-breakpoint
CREATE INDEX `pattern_samples_pattern` ON `pattern_samples` (`pattern_id`,`kind`);--> statement-breakpoint
CREATE TABLE `pattern_versions` (
	`agent_id` text PRIMARY KEY NOT NULL,
	`version` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `patterns` ADD `run_id` text;--> statement-breakpoint
ALTER TABLE `patterns` ADD `class_index` integer;--> statement-breakpoint
ALTER TABLE `patterns` ADD `signature` text;--> statement-breakpoint
ALTER TABLE `patterns` ADD `changed_at` integer;--> statement-breakpoint
ALTER TABLE `patterns` ADD `changed_by` text;--> statement-breakpoint
ALTER TABLE `patterns` ADD `reason` text;