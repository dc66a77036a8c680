CREATE TABLE `backends` (
	`pool` text NOT NULL,
	`address` text NOT NULL,
	`position` integer NOT NULL,
	`weight` integer NOT NULL,
	`state` text NOT NULL,
	`options` text NOT NULL,
	PRIMARY KEY(`pool`, `address`),
	FOREIGN KEY (`pool`) REFERENCES `pools`(`name`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `certificates` (
	`name` text PRIMARY KEY NOT NULL,
	`position` integer NOT NULL,
	`cert_pem` text NOT NULL,
	`key_pem` text
);
--> statement-breakpoint
CREATE TABLE `listeners` (
	`name` text PRIMARY KEY NOT NULL,
	`position` integer NOT NULL,
	`protocol` text NOT NULL,
	`address` text NOT NULL,
	`pool` text,
	`options` text NOT NULL,
	FOREIGN KEY (`pool`) REFERENCES `pools`(`name`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `meta` (
	`id` integer PRIMARY KEY NOT NULL,
	`revision` integer NOT NULL,
	CONSTRAINT "meta_single_row" CHECK("meta"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE `pools` (
	`name` text PRIMARY KEY NOT NULL,
	`position` integer NOT NULL,
	`algorithm` text NOT NULL,
	`options` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `revisions` (
	`revision` integer PRIMARY KEY NOT NULL,
	`at` text NOT NULL,
	`summary` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `routes` (
	`listener` text NOT NULL,
	`name` text NOT NULL,
	`position` integer NOT NULL,
	`pool` text,
	`options` text NOT NULL,
	PRIMARY KEY(`listener`, `name`),
	FOREIGN KEY (`listener`) REFERENCES `listeners`(`name`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`pool`) REFERENCES `pools`(`name`) ON UPDATE no action ON DELETE no action
);
