ALTER TABLE `interactions` ADD `conversation_object` text;--> statement-breakpoint
CREATE INDEX `interactions_conversation` ON `interactions` (`agent_id`,`conversation_hash`,`created_at`);