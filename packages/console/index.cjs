'use strict';
const { join } = require('node:path');

/** The directory of the built console (index.html and assets/), served by @laas/server at /console. */
exports.consoleDir = join(__dirname, 'dist');
