CREATE TABLE `patterns` (
	`id` text PRIMARY KEY NOT NULL,
	`agent_id` text NOT NULL,
	`status` text NOT NULL,
	`canonical_answer` text NOT NULL,
	`member_ids` text NOT NULL,
	`examples` integer NOT NULL,
	`agreement` real NOT NULL,
	`detected_at` integer NOT NULL,
	`window_from` integer NOT NULL,
	`window_to` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `patterns_agent_status` ON `patterns` (`agent_id`,`status`);