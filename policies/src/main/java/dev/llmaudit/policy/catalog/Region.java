package dev.llmaudit.policy.catalog;

/**
 * One cloud region (or processing geography for first-party APIs).
 *
 * @param jurisdiction legal area the region's data centres are in: {@code eu}, {@code us}, {@code uk}, ...,
 *                     or {@code *} for "anywhere" (e.g. OpenAI's default global processing)
 * @param dataZone the data zone a data-zone deployment from this region processes in, or null
 * @param location where in the catalog file it was defined, for messages
 */
public record Region(String cloud, String id, String country, String jurisdiction, String dataZone, String location) {}
