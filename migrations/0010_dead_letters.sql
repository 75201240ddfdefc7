ALTER TABLE `dead_letters` ADD `agent_id` text;--> statement-breakpoint
ALTER TABLE `dead_letters` ADD `payload` text;--> statement-breakpoint
ALTER TABLE `dead_letters` ADD `replayed_at` integer;--> statement-breakpoint
CREATE INDEX `dead_letters_agent` ON `dead_letters` (`agent_id`,`received_at`);