/** Steps of the demo page that several e2e specs take. */
import type { Page } from 'playwright-core';

/** Greedy generation in the page (repetition penalty 1.1): fills the form, generates, returns the text shown. */
export async function generateGreedyInPage(page: Page, prompt: string, maxNewTokens: number): Promise<string | null> {
  await page.fill('#prompt', prompt);
  await page.fill('#max-new-tokens', String(maxNewTokens));
  await page.fill('#repetition-penalty', '1.1');
  await page.check('input[name="mode"][value="greedy"]');
  await page.click('#generate');
  await page.waitForSelector('#gen-output[data-state="done"]');
  return page.textContent('#gen-text');
}
