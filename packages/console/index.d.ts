/** The directory of the built console (index.html and assets/), served by @laas/server at /console. */
export declare const consoleDir: string;
