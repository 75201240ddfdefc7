ALTER TABLE `interactions` ADD `latency_ms` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `interactions` ADD `urgency` text DEFAULT 'normal' NOT NULL;