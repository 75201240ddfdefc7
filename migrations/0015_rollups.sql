CREATE TABLE `agent_hours` (
	`agent_id` text NOT NULL,
	`hour` integer NOT NULL,
	`channel` text NOT NULL,
	`tier` text NOT NULL,
	`outcome` text NOT NULL,
	`urgency` text NOT NULL,
	`requests` integer NOT NULL,
	`cost_micros` integer NOT NULL,
	`denials` integer NOT NULL,
	`learnable` integer NOT NULL,
	`latency_sum_ms` integer NOT NULL,
	`latency_max_ms` integer NOT NULL,
	`latency_buckets` text NOT NULL,
	PRIMARY KEY(`agent_id`, `hour`, `channel`, `tier`, `outcome`, `urgency`)
);
--> statement-breakpoint
CREATE TABLE `job_pages` (
	`job` text NOT NULL,
	`period` integer NOT NULL,
	`page` text NOT NULL,
	`done_at` integer NOT NULL,
	PRIMARY KEY(`job`, `period`, `page`)
);
--> statement-breakpoint
CREATE INDEX `job_pages_done` ON `job_pages` (`done_at`);--> statement-breakpoint
CREATE TABLE `rollup_marks` (
	`agent_id` text PRIMARY KEY NOT NULL,
	`rolled_from` integer NOT NULL,
	`rolled_until` integer NOT NULL
);
