// Contacts and events an earlier release writes beside its messages, for the
// upgrade tests: after the upgrade, the search index must find each of them.
export const LEGACY_CONTACTS = [
  { id: "legacy-c1", displayName: "Lena Oldfield", companyName: "Northwind", emailAddresses: [{ address: "lena@northwind.example" }] },
  { id: "legacy-c2", displayName: "Omar Quist", companyName: "Contoso", emailAddresses: [{ address: "omar@contoso.example" }] },
];
export const LEGACY_EVENTS = [
  { id: "legacy-e1", subject: "Harbour planning", location: { displayName: "Pier 9" },
    start: { dateTime: "2024-03-04T09:00:00", timeZone: "UTC" }, end: { dateTime: "2024-03-04T10:00:00", timeZone: "UTC" } },
  { id: "legacy-e2", subject: "Budget close", location: { displayName: "Room 2" },
    start: { dateTime: "2024-03-05T09:00:00", timeZone: "UTC" }, end: { dateTime: "2024-03-05T10:00:00", timeZone: "UTC" } },
];

/** Searches that find each legacy item once it is indexed, with the ids they must answer. */
export const LEGACY_SEARCHES = { oldfield: ["legacy-c1"], contoso: ["legacy-c2"], harbour: ["legacy-e1"], room: ["legacy-e2"] };
