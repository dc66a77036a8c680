ALTER TABLE `backends` ADD `revision` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `certificates` ADD `revision` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `listeners` ADD `revision` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `pools` ADD `revision` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `revisions` ADD `source` text DEFAULT 'api' NOT NULL;--> statement-breakpoint
ALTER TABLE `revisions` ADD `source_file` text;--> statement-breakpoint
ALTER TABLE `routes` ADD `revision` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Hand-written (drizzle-kit generates schema changes only): rows written before per-resource
-- revisions existed last changed at the latest at the current revision; that is their ETag now.
UPDATE `pools` SET `revision` = (SELECT `revision` FROM `meta` WHERE `id` = 1);--> statement-breakpoint
UPDATE `backends` SET `revision` = (SELECT `revision` FROM `meta` WHERE `id` = 1);--> statement-breakpoint
UPDATE `listeners` SET `revision` = (SELECT `revision` FROM `meta` WHERE `id` = 1);--> statement-breakpoint
UPDATE `routes` SET `revision` = (SELECT `revision` FROM `meta` WHERE `id` = 1);--> statement-breakpoint
UPDATE `certificates` SET `revision` = (SELECT `revision` FROM `meta` WHERE `id` = 1);--> statement-breakpoint
-- Earlier `start --config FILE` writes were summarised "start --config FILE: <diff>": they came from that file.
UPDATE `revisions` SET `source` = 'file', `source_file` = CASE
  WHEN instr(substr(`summary`, 16), ': ') > 0 THEN substr(`summary`, 16, instr(substr(`summary`, 16), ': ') - 1)
  ELSE substr(`summary`, 16) END
WHERE `summary` LIKE 'start --config %';
