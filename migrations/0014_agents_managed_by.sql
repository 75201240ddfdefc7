ALTER TABLE `agents` ADD `managed_by` text DEFAULT 'api' NOT NULL;--> statement-breakpoint
ALTER TABLE `agents` ADD `code_hash` text;