/**
 * The satisfaction survey after the call (满意度, 3.4.7): the caller hears the survey prompt
 * (the admin's, or the system's for the configured 2–5 levels) and presses 1 (best) … N; the
 * score is in the call's log and on its record. No key, or a wrong one, and the prompt plays
 * once more; then the survey ends unrated.
 */
import { surveySettings } from './acd-settings.ts';
import type { Db } from '../../db/client.ts';
import type { CallEventBody } from '../call-log/events.ts';
import { CallerGone, type Prompter } from '../media/prompter.ts';

export interface SurveyRun {
  db: Db;
  prompter: Prompter;
  language: string;
  systemMedia: (pieces: string[]) => string[];
  promptMedia: (promptId: number) => Promise<string | null>;
  log: (event: CallEventBody) => Promise<void>;
}

export async function runSurvey(o: SurveyRun): Promise<void> {
  const s = await surveySettings(o.db);
  const levels = Math.min(5, Math.max(2, s.levels));
  await o.log({ type: 'survey.started', data: { levels } });
  const own = s.promptId !== null ? await o.promptMedia(s.promptId) : null;
  const question = own ? [own] : o.systemMedia([`survey_${levels}`]);
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      o.prompter.clearDigits();
      await o.prompter.play(question, true);
      const key = await o.prompter.nextDigit(8000);
      const score = Number(key);
      if (key !== null && Number.isInteger(score) && score >= 1 && score <= levels) {
        await o.log({ type: 'survey.scored', data: { score, levels } });
        const thanks = s.thanksPromptId !== null ? await o.promptMedia(s.thanksPromptId) : null;
        await o.prompter.play(thanks ? [thanks] : o.systemMedia(['survey_thanks']), false);
        return;
      }
      if (key !== null) await o.prompter.play(o.systemMedia(['invalid']), false);
    }
    await o.log({ type: 'survey.no_answer', data: { levels } });
  } catch (err) {
    if (!(err instanceof CallerGone)) throw err;
    await o.log({ type: 'survey.no_answer', data: { levels } });
  }
}
