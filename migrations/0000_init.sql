CREATE TABLE `agents` (
	`id` text PRIMARY KEY NOT NULL,
	`version` integer NOT NULL,
	`name` text,
	`model` text NOT NULL,
	`config` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `dead_letters` (
	`id` text PRIMARY KEY NOT NULL,
	`queue` text NOT NULL,
	`body` text NOT NULL,
	`attempts` integer NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `dead_letters_time` ON `dead_letters` (`received_at`);--> statement-breakpoint
CREATE TABLE `interactions` (
	`id` text PRIMARY KEY NOT NULL,
	`agent_id` text NOT NULL,
	`channel` text NOT NULL,
	`delivery_id` text NOT NULL,
	`conversation_hash` text NOT NULL,
	`tier` text NOT NULL,
	`model` text,
	`input_tokens` integer NOT NULL,
	`output_tokens` integer NOT NULL,
	`cache_write_tokens` integer NOT NULL,
	`cache_read_tokens` integer NOT NULL,
	`cost_micros` integer NOT NULL,
	`steps` integer NOT NULL,
	`tool_calls` integer NOT NULL,
	`denied_tools` text NOT NULL,
	`outcome` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `interactions_agent_time` ON `interactions` (`agent_id`,`created_at`);