/**
 * Which plans a deploy may apply: those the plan workflow made for the merged pull request's last commit,
 * in its newest run, and only if that run succeeded (a blocking finding that was not acknowledged fails it).
 */
"use strict";

class NoReviewedPlanError extends Error {}

/**
 * @param {{ github: any, context: any, workflow?: string }} options
 * @returns {Promise<{ runId: number, runUrl: string, pullRequest: number, headSha: string }>}
 */
async function findReviewedPlan({ github, context, workflow = "plan.yml" }) {
  const { owner, repo } = context.repo;
  const sha = context.sha;
  const { data: pulls } = await github.rest.repos.listPullRequestsAssociatedWithCommit({ owner, repo, commit_sha: sha });
  const pull = pulls.find((p) => p.merged_at && p.merge_commit_sha === sha);
  if (!pull) {
    throw new NoReviewedPlanError(
      `commit ${sha} is not the result of merging a pull request, so no plan was reviewed for it; ` +
        "deploys apply only plans reviewed on a pull request (direct pushes are not deployed)",
    );
  }
  const headSha = pull.head.sha;
  const runs = await github.paginate(github.rest.actions.listWorkflowRuns, { owner, repo, workflow_id: workflow, event: "pull_request", head_sha: headSha, per_page: 100 });
  const newest = [...runs].sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || b.id - a.id)[0];
  if (!newest) {
    throw new NoReviewedPlanError(`no ${workflow} run for pull request #${pull.number} at its last commit ${headSha}: nothing was reviewed, nothing is applied`);
  }
  if (newest.status !== "completed" || newest.conclusion !== "success") {
    throw new NoReviewedPlanError(
      `the newest ${workflow} run for pull request #${pull.number} (${newest.html_url}) is ${newest.status}` +
        `${newest.conclusion ? `/${newest.conclusion}` : ""}, not a success: a blocked or failed plan is never applied`,
    );
  }
  return { runId: newest.id, runUrl: newest.html_url, pullRequest: pull.number, headSha };
}

module.exports = findReviewedPlan;
module.exports.NoReviewedPlanError = NoReviewedPlanError;
