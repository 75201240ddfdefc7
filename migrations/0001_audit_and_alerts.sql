CREATE TABLE `alerts` (
	`id` text PRIMARY KEY NOT NULL,
	`agent_id` text NOT NULL,
	`at` integer NOT NULL,
	`type` text NOT NULL,
	`message` text NOT NULL,
	`details` text NOT NULL,
	`delivered_at` integer,
	`delivery_error` text
);
--> statement-breakpoint
CREATE INDEX `alerts_agent_time` ON `alerts` (`agent_id`,`at`);--> statement-breakpoint
CREATE TABLE `audit_events` (
	`id` text PRIMARY KEY NOT NULL,
	`agent_id` text NOT NULL,
	`at` integer NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`resource` text NOT NULL,
	`decision` text NOT NULL,
	`details` text NOT NULL,
	`cost_micros` integer,
	`request_id` text
);
--> statement-breakpoint
CREATE INDEX `audit_agent_time` ON `audit_events` (`agent_id`,`at`);--> statement-breakpoint
CREATE INDEX `audit_agent_action` ON `audit_events` (`agent_id`,`action`,`at`);