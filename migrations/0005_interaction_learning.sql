ALTER TABLE `interactions` ADD `position` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `interactions` ADD `learnable` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `interactions` ADD `question` text;--> statement-breakpoint
ALTER TABLE `interactions` ADD `answer` text;--> statement-breakpoint
CREATE INDEX `interactions_learnable` ON `interactions` (`agent_id`,`learnable`,`created_at`);