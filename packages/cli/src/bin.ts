#!/usr/bin/env node
// Placeholder entry for the `laas` binary; commands land with their issues.
console.log('laas: no commands yet');
