// The state tracker is the source kit's (core): every STATE carries all bookmarks, updates never mutate a
// message already yielded. Re-exported here for the readers of this package.
export { StateTracker } from '@mage-int/core';
