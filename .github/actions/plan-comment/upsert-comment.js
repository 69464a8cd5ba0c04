/**
 * One comment per stack on a pull request, updated in place: the comment a bot wrote that carries the
 * stack's marker (`<!-- edgeplane-plan-report:<stack> -->`, the first line of every plan report).
 * Comments by people are never touched, even if they quote the marker.
 */
"use strict";

const GITHUB_COMMENT_LIMIT = 65536;

function markerOf(stack) {
  return `<!-- edgeplane-plan-report:${stack} -->`;
}

/**
 * @param {{ github: any, context: any, core: any, stack: string, body: string }} options
 * @returns {Promise<{ action: "created" | "updated", id: number }>}
 */
async function upsertPlanComment({ github, context, core, stack, body }) {
  const marker = markerOf(stack);
  if (!body.includes(marker)) throw new Error(`the report for ${stack} has no marker ${marker}; write it with edgeplane plan-report`);
  if (body.length > GITHUB_COMMENT_LIMIT) throw new Error(`the report for ${stack} has ${body.length} characters; a comment holds ${GITHUB_COMMENT_LIMIT}`);
  const issue_number = context.payload.pull_request ? context.payload.pull_request.number : context.issue.number;
  const { owner, repo } = context.repo;
  const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number, per_page: 100 });
  const ours = comments.filter((c) => c.user && c.user.type === "Bot" && typeof c.body === "string" && c.body.includes(marker));
  if (ours.length > 0) {
    const { data } = await github.rest.issues.updateComment({ owner, repo, comment_id: ours[0].id, body });
    core.info(`updated the plan comment for ${stack}: ${data.html_url || data.id}`);
    return { action: "updated", id: ours[0].id };
  }
  const { data } = await github.rest.issues.createComment({ owner, repo, issue_number, body });
  core.info(`created the plan comment for ${stack}: ${data.html_url || data.id}`);
  return { action: "created", id: data.id };
}

module.exports = upsertPlanComment;
module.exports.markerOf = markerOf;
