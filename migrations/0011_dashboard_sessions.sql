CREATE TABLE `dashboard_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`key_id` text NOT NULL,
	`role` text NOT NULL,
	`agents` text,
	`csrf` text NOT NULL,
	`bootstrap_check` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `dashboard_sessions_expiry` ON `dashboard_sessions` (`expires_at`);--> statement-breakpoint
CREATE INDEX `dashboard_sessions_key` ON `dashboard_sessions` (`key_id`);